"""Book 2 Annex A symmetric mechanisms. Expected values: the worked examples published in pyemv's README
(knovichikhin/pyemv, an independent implementation), for the same inputs."""
from drivers.emvspec import crypto

IMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")


def test_icc_master_key_option_a():
    assert crypto.derive_icc_master_key(IMK, "99012345678901234", "45").hex().upper() == \
        "67F8292358083E5EA7AB7FDA58D53B6B"


def test_common_session_key():
    mk = bytes.fromhex("67F8292358083E5EA7AB7FDA58D53B6B")
    assert crypto.derive_session_key(mk, bytes.fromhex("1234567890123456")).hex().upper() == \
        "29B33180E567CE38EA4CBC9D753B0E61"


def test_ac_mac_algorithm_3_padding_method_2():
    sk = bytes.fromhex("29B33180E567CE38EA4CBC9D753B0E61")
    assert crypto.retail_mac(sk, bytes.fromhex("0123456789ABCDEF0123456789ABCDEF")).hex().upper() == \
        "FA624250B008B59A"


def test_arpc_method_1():
    sk = bytes.fromhex("29B33180E567CE38EA4CBC9D753B0E61")
    assert crypto.arpc_method1(sk, bytes.fromhex("FA624250B008B59A"), b"\x00\x00").hex().upper() == \
        "45D4255EEF10C920"


def test_padding_method_2():
    assert crypto.pad_method2(b"\x01" * 8).hex() == "01" * 8 + "80" + "00" * 7
    assert crypto.pad_method2(b"\x01" * 3).hex() == "010101" + "80" + "00" * 4
