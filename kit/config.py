"""Settings come from one YAML file per process, with ``${VAR:default}`` taken from the environment."""

from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "config.yaml"


def load_config(path=None, overrides=None):
    """Read the config file the way ``nameko run --config`` does, then apply ``overrides``."""
    setup_yaml_parser()
    with open(path or DEFAULT_CONFIG) as stream:
        config = yaml.safe_load(stream)
    config.update(overrides or {})
    return config
