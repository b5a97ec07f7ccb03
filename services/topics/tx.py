"""What a topics use case works with: ``kit.tx.Tx`` and the key participants' links are signed with."""

from dataclasses import dataclass

from kit import tx


@dataclass
class Tx(tx.Tx):
    secret: str = ""
