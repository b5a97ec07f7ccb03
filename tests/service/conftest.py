"""Service tier: one nameko container at a time on the real RabbitMQ (a vhost per test) and the real
PostgreSQL (a database per session), with a real SMTP server (aiosmtpd) receiving the emails.
Nothing is mocked; other services are stood in for by publishing or reading their events directly.
"""
