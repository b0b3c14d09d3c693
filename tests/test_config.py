import pytest

from chop.config import RunConfig, load_toml, merge, parse_duration, write_run_config
from chop.errors import ConfigError


def test_defaults_when_nothing_given():
    cfg = merge()
    assert cfg == RunConfig()


def test_toml_overrides_defaults_and_flags_override_toml():
    cfg = merge({"batch_size": 64, "learning_rate": 0.01}, {"batch_size": 32})
    assert cfg.batch_size == 32
    assert cfg.learning_rate == 0.01


def test_explicit_flag_equal_to_default_still_wins():
    default = RunConfig().batch_size
    cfg = merge({"batch_size": 512}, {"batch_size": default})
    assert cfg.batch_size == default


def test_unknown_key_names_closest():
    with pytest.raises(ConfigError, match="Unknown config key 'learning_rat'. Did you mean 'learning_rate'"):
        merge({"learning_rat": 0.1})


@pytest.mark.parametrize(
    "key,value,match",
    [
        ("batch_size", -1, "batch_size must be at least 1"),
        ("batch_size", 0, "batch_size must be at least 1"),
        ("batch_size", "big", "must be an integer"),
        ("batch_size", 2.5, "must be an integer"),
        ("learning_rate", 0, "learning_rate must be positive"),
        ("max_epochs", -3, "must not be negative"),
        ("accelerator", "tpu-ish", "accelerator='tpu-ish' is not valid"),
        ("optimizer", "adm", "Did you mean 'adam'"),
        ("max_time", "soon", "not a duration"),
        ("resume", "yes", "true or false"),
    ],
)
def test_bad_values_are_errors_naming_the_key(key, value, match):
    with pytest.raises(ConfigError, match=match):
        merge({key: value})


def test_int_accepted_for_float_and_na_means_none():
    cfg = merge({"learning_rate": 1, "load_name": "NA", "project": "p"})
    assert cfg.learning_rate == 1.0 and isinstance(cfg.learning_rate, float)
    assert cfg.load_name is None


def test_sections_kept_as_tables():
    cfg = merge({"passes": {"quantize": {"by": "type", "default": {"config": {"name": "NA"}}}}})
    assert cfg.passes["quantize"]["by"] == "type"


@pytest.mark.parametrize("text,seconds", [("90", 90), ("01:30", 90), ("01:00:00", 3600), ("1:00:00:05", 86405), (12, 12)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_malformed_toml_names_file_and_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('model = "jsc-tiny"\nbatch_size = = 3\n')
    with pytest.raises(ConfigError, match=r"bad.toml' is not valid TOML: .*line 2"):
        load_toml(p)


def test_missing_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_toml(tmp_path / "nope.toml")


def test_written_config_reads_back_equal(tmp_path):
    cfg = merge({"model": "jsc-tiny", "dataset": "toy", "max_time": "00:10:00",
                 "passes": {"q": {"by": "type"}}})
    path = write_run_config(cfg, tmp_path / "run.toml")
    assert merge(load_toml(path)) == cfg


def test_derived_paths():
    cfg = merge({"model": "jsc-tiny", "dataset": "jsc", "project": "lab1", "project_dir": "out"})
    assert str(cfg.ckpt_dir) == "out/lab1/software/training_ckpts"
    assert merge({"model": "m", "dataset": "d"}).project_name == "m_cls_d"
