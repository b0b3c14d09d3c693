"""The command line: parsing, precedence, and bad input as one line with exit code 2."""

import pytest

from chop.cli import main, parse_config


def test_positionals_and_flags():
    action, cfg = parse_config(["train", "jsc-tiny", "jsc", "--max-epochs", "10", "--batch-size", "256",
                                "--learning-rate", "1e-3", "--project", "NAME"])
    assert action == "train"
    assert (cfg.model, cfg.dataset, cfg.max_epochs, cfg.batch_size, cfg.learning_rate, cfg.project) == (
        "jsc-tiny", "jsc", 10, 256, 1e-3, "NAME")


def test_seed_spellings_accepted():
    _, cfg = parse_config(["test", "--task", "cls", "--cpu=3", "--load", "x.ckpt", "--load-type", "pt"])
    assert cfg.num_workers == 3 and cfg.load_name == "x.ckpt" and cfg.load_type == "pt"


def test_flag_beats_toml_even_at_default_value(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('model = "jsc-tiny"\ndataset = "toy"\nbatch_size = 512\nmax_epochs = 3\n')
    _, cfg = parse_config(["train", "--config", str(toml), "--batch-size", "128"])
    assert cfg.batch_size == 128  # 128 is also the default: typed flags still win
    assert cfg.max_epochs == 3 and cfg.model == "jsc-tiny"


def test_positional_beats_toml(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('model = "jsc-tiny"\ndataset = "toy"\n')
    _, cfg = parse_config(["train", "jsc-s", "--config", str(toml)])
    assert cfg.model == "jsc-s" and cfg.dataset == "toy"


def _run(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(
    "argv,message",
    [
        (["train", "jsc-tiny", "toy", "--batch-sise", "3"], "Unknown flag '--batch-sise'. Did you mean '--batch-size'?"),
        (["train", "jsc-tiny", "toy", "--batch-size", "-3"], "batch_size must be at least 1"),
        (["train", "jsc-tiny", "toy", "--batch-size", "three"], "invalid int value"),
        (["trian", "jsc-tiny", "toy"], "invalid choice: 'trian'"),
        (["train", "jsc-tny", "toy", "--max-epochs", "1"], "Unknown model 'jsc-tny'. Did you mean 'jsc-tiny'?"),
        (["train", "jsc-tiny", "tyo", "--max-epochs", "1"], "Unknown dataset 'tyo'"),
        (["train", "jsc-tiny"], "ch train needs DATASET"),
        (["test", "jsc-tiny", "toy"], "ch test needs --load CKPT"),
        (["test", "jsc-tiny", "toy", "--load", "missing.ckpt"], "Checkpoint 'missing.ckpt' does not exist"),
        (["train", "--config", "nope.toml"], "Config file 'nope.toml' does not exist"),
        (["train", "jsc-tiny", "toy", "--accelerator", "gpu", "--max-epochs", "1"], "Cannot set up accelerator='gpu'"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, err = _run(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_malformed_toml_says_the_line(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('model = "jsc-tiny"\n\nmax_epochs = [\n')
    code, err = _run(capsys, "train", "--config", str(bad))
    assert code == 2 and "line 3" in err and len(err.splitlines()) == 1


def test_unknown_toml_key_names_closest(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('model = "jsc-tiny"\nmax_epoch = 3\n')
    code, err = _run(capsys, "train", "--config", str(bad))
    assert code == 2 and "Unknown config key 'max_epoch'. Did you mean 'max_epochs'?" in err


def test_debug_shows_traceback(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = _run(capsys, "train", "jsc-tny", "toy", "--debug")
    assert code == 2 and "Traceback" in err


def test_info_lists_models_and_datasets(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for name in ("jsc-tiny", "jsc-s", "toy", "117", "5,615"):
        assert name in out


def test_positionals_may_follow_flags(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('model = "jsc-tiny"\ndataset = "jsc"\n')
    _, cfg = parse_config(["search", "--config", str(toml), "jsc-toy", "toy", "--seed", "3"])
    assert (cfg.model, cfg.dataset, cfg.seed) == ("jsc-toy", "toy", 3)
