import digitalcx_frames


def test_version_is_a_string() -> None:
    assert digitalcx_frames.__version__.count(".") == 2
