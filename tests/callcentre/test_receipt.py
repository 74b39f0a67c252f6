import itertools

import pytest

from callcentre.formats.receipt import ALPHABET, CODE_LENGTH, InvalidReceiptCode, display, new_receipt_code, normalize


def test_new_codes_are_valid_random_and_unique() -> None:
    codes = [new_receipt_code() for _ in range(2000)]
    assert len(set(codes)) == 2000
    assert all(len(c) == CODE_LENGTH and normalize(c) == c for c in codes)
    # Not sequential: consecutive codes share no long common prefix.
    shared = sum(a[:4] == b[:4] for a, b in itertools.pairwise(codes))
    assert shared < 5


def test_normalize_is_forgiving_about_case_hyphens_and_lookalikes() -> None:
    # A code with both 0 and 1 in it, typed with the look-alikes O and L.
    for _ in range(10000):
        code = new_receipt_code()
        if "0" in code[:9] and "1" in code[:9]:
            break
    typed = display(code).lower().replace("0", "o").replace("1", "l")
    assert normalize(f"  {typed} ") == code


def test_every_single_substitution_is_rejected() -> None:
    for _ in range(50):
        code = new_receipt_code()
        for i in range(CODE_LENGTH):
            for ch in ALPHABET:
                if ch == code[i]:
                    continue
                with pytest.raises(InvalidReceiptCode):
                    normalize(code[:i] + ch + code[i + 1:])


def test_adjacent_swaps_are_rejected() -> None:
    accepted = total = 0
    for _ in range(300):
        code = new_receipt_code()
        for i in range(CODE_LENGTH - 1):
            if code[i] == code[i + 1]:
                continue
            total += 1
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            try:
                normalize(swapped)
                accepted += 1
            except InvalidReceiptCode:
                pass
    # Luhn mod N misses only swaps of the two symbols whose values differ by N/2.
    assert accepted / total < 0.01


@pytest.mark.parametrize("bad", ["", "ABC", "ABCDEFGHJKM", "ABCDE-FGHJ!", "UUUUUUUUUU"])
def test_malformed_codes_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidReceiptCode):
        normalize(bad)
