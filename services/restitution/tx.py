"""What a restitution use case works with: ``kit.tx.Tx`` and the day it is (commitments' changes are dated)."""

from dataclasses import dataclass

from kit import tx


@dataclass
class Tx(tx.Tx):
    @property
    def today(self):
        return self.now.date()
