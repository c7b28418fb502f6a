"""A mail backend whose server refuses everything, for delivery-failure tests."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class FailingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPException("451 Mail server temporarily unavailable")
