"""The password rule for staff accounts created or changed by the CLI or the admin API.

Messages are Vietnamese first, English after: the admin API answers them as the 422 reason and
the CLI prints them. ``seed --demo`` on a development machine sets the published demo password
without this check (``callcentre/cli/seed.py``).
"""

from __future__ import annotations

MIN_LENGTH = 10

# Passwords that the first guesses of an attacker try, and those published with this project or
# common in Vietnam ("matkhau" is "password"); compared without case.
COMMON_PASSWORDS = frozenset({
    "demo@1022", "demo1022", "tongdai1022", "1022@1022", "hotline1022",
    "password", "password1", "password12", "password123", "password1234", "passw0rd", "p@ssw0rd",
    "p@ssword123", "matkhau", "matkhau123", "matkhau@123", "matkhau1234", "admin@123", "admin12345",
    "administrator", "qwerty", "qwerty123", "qwerty1234", "qwertyuiop", "1qaz2wsx3edc", "abc@123456",
    "abcd@1234", "abcd123456", "iloveyou", "iloveyou123", "letmein123", "welcome123", "welcome@123",
    "changeme", "changeme123", "123456aa@", "123456abc", "aa123456789", "anhyeuem", "anhyeuem123",
    "superman123", "dragon1234", "trustno1234",
})


class WeakPassword(ValueError):
    """The password breaks the rule; the message says which part, in Vietnamese then English."""


def password_problem(password: str, username: str) -> str | None:
    """Why ``password`` may not be set for ``username``, or None when it may."""
    if len(password) < MIN_LENGTH:
        return (f"Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự / "
                f"password must have at least {MIN_LENGTH} characters")
    if password.isdigit():
        return "Mật khẩu không được chỉ gồm chữ số / password must not be all digits"
    if password.casefold() == username.casefold():
        return "Mật khẩu không được trùng tên đăng nhập / password must not be the username"
    if password.casefold() in COMMON_PASSWORDS:
        return ("Mật khẩu quá phổ biến, hãy chọn mật khẩu khác / "
                "password is too common, choose another")
    return None


def check_password_policy(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise WeakPassword(problem)
