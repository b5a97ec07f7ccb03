"""What a registration use case works with: ``kit.tx.Tx`` and the two things only this service needs,
the key its links are minted with and the per-address limits on emails anyone can ask for."""

from dataclasses import dataclass

from kit import tx


@dataclass
class Tx(tx.Tx):
    secret: str = ""
    mail_limits: object = None  # kit.ratelimit.AddressLimits; None: no limit

    def may_email(self, address, kind):
        """Whether ``address`` may get one more email of this kind that someone else can ask for (its
        management link, a subscription to confirm): at most RATE_LIMIT_ADDRESS_EMAILS of each kind, so
        that a link asked for does not swallow the confirmation asked for next. Past it the caller sends
        nothing and answers as if it had, so that the answer tells nothing."""
        return self.mail_limits is None or self.mail_limits.allows(f"{kind}:{address}")
