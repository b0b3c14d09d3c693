import pytest

from chop.errors import ChopError, ConfigError, UnknownNameError
from chop.registry import Registry


def test_register_and_get():
    reg = Registry("thing")
    reg.register("alpha", 1)

    @reg.register("beta")
    def beta():
        return 2

    assert reg.get("alpha") == 1
    assert reg.get("beta")() == 2
    assert reg.names() == ["alpha", "beta"]
    assert "alpha" in reg and "gamma" not in reg


def test_duplicate_name_is_an_error():
    reg = Registry("thing")
    reg.register("alpha", 1)
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("alpha", 2)
    assert reg.get("alpha") == 1


def test_typo_suggests_closest_name():
    reg = Registry("model")
    reg.register("jsc-tiny", 1)
    reg.register("jsc-toy", 2)
    with pytest.raises(UnknownNameError, match="Unknown model 'jsc-tiyn'. Did you mean 'jsc-tiny'"):
        reg.get("jsc-tiyn")


def test_unknown_name_is_a_user_error():
    reg = Registry("dataset")
    with pytest.raises(ChopError):
        reg.get("nope")


@pytest.mark.parametrize("bad", ["", None, 3])
def test_bad_names_rejected(bad):
    with pytest.raises(ConfigError):
        Registry("x").register(bad, 1)
