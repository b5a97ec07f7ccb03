"""What a restitution use case works with: ``kit.tx.Tx``, the key participants' links are signed with
(comments), and the day it is (commitments' changes are dated)."""

from dataclasses import dataclass

from kit import tx


@dataclass
class Tx(tx.Tx):
    secret: str = ""

    @property
    def today(self):
        return self.now.date()
