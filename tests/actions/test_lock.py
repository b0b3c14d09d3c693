"""One `ch train` per project at a time; a killed holder never leaves the project stuck."""

import signal
import subprocess
import sys
import textwrap

from chop.cli import main

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from chop.actions.lock import project_lock
    with project_lock(Path(sys.argv[1]), "train", "p"):
        print("held", flush=True)
        time.sleep(120)
""")


def test_second_train_refuses_while_the_first_holds_the_project_then_runs_after_a_kill(tmp_path, capsys):
    ckpts = tmp_path / "p" / "software" / "training_ckpts"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(ckpts.parent)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        argv = ["train", "jsc-tiny", "toy", "--max-epochs", "1", "--project-dir", str(tmp_path),
                "--project", "p", "--report-to", "none"]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert f"Project 'p' is in use by ch train, pid {holder.pid}" in err and "--project" in err
        assert not (ckpts / "last.ckpt").exists()
        holder.send_signal(signal.SIGKILL)  # a crashed run: the OS drops its lock
        holder.wait()
        assert main(argv) == 0
        assert (ckpts / "last.ckpt").exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_lock_is_released_after_a_run(tmp_path):
    argv = ["train", "jsc-tiny", "toy", "--max-epochs", "1", "--project-dir", str(tmp_path),
            "--project", "p", "--report-to", "none"]
    assert main(argv) == 0
    assert main(argv) == 0
