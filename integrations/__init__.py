"""Telephony and messaging providers behind small interfaces, one module per provider.

Nothing here imports ``callcentre``: the application passes settings (its
config mapping) and data in, and gets plain results or :class:`ProviderError`
back. That keeps providers testable on their own and swappable by config.

* :mod:`integrations.sms` - the message-provider interface, the registry
  (``SMS_PROVIDER`` / ``ZALO_PROVIDER`` name -> class) and segment counting.
* :mod:`integrations.twilio_sms`, :mod:`integrations.console_sms`,
  :mod:`integrations.zalo` - the providers.
* :mod:`integrations.twilio_voice` - TwiML for the hotline's call flow.
* :mod:`integrations.webhooks` - signature checks and parsing of provider webhooks.
"""
