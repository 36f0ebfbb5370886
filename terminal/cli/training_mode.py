"""`--training` for `posterm sale` and `posterm run`: the same command, inside a training session
(terminal/training): the built-in host simulator instead of the configured host, the training journal
instead of the real one. Everything after this point reads the configuration and the data dir from `args`,
so swapping both here is what makes the real host and the real journal unreachable for the command."""
from __future__ import annotations

import argparse
from collections.abc import Callable


def add_training_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--training", action="store_true",
                   help="training mode: the built-in host simulator (nothing is sent to the configured host), "
                        "the training journal DATA_DIR/training, every screen and slip marked TRAINING")


def in_training(args: argparse.Namespace, command: Callable[[argparse.Namespace], int]) -> int:
    from terminal.cli.common import journal_path, load_config
    from terminal.training.session import training_config, training_dir, training_host
    cfg = load_config(args)
    real_dir = journal_path(args)
    with training_host(cfg) as host:
        args._config = training_config(cfg, host.address)
        args.data_dir = str(training_dir(real_dir))
        return command(args)
