"""The SLA engine wired to the database: calendars, policies, clocks, timers, sweep.

Pure rules live in ``workflows`` (calendar arithmetic, clock maths); this
package loads and stores them.
"""
