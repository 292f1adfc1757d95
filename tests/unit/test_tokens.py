import hashlib
import re

from hypothesis import given
from hypothesis import strategies as st

from rendezvous.core.tokens import hash_secret, new_secret


def test_secrets_are_url_safe_prefixed_and_carry_256_bits() -> None:
    secret = new_secret("rdv")
    assert re.fullmatch(r"rdv_[A-Za-z0-9_-]{43}", secret)


def test_secrets_do_not_repeat() -> None:
    assert len({new_secret("x") for _ in range(1000)}) == 1000


@given(st.text())
def test_hash_is_sha256_hex(secret: str) -> None:
    digest = hash_secret(secret)
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
