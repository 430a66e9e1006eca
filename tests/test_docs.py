"""The README keeps up with the code: every subcommand and every setting is documented."""

import json
import re
from pathlib import Path

from bot.config import Settings
from tests.harness import SlackToBot

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def test_every_subcommand_in_the_help_is_in_the_readme(bot: SlackToBot) -> None:
    help_text = json.dumps(bot.command("help").json()["blocks"])
    names = re.findall(r"`/mentor (\w[\w-]*)", help_text)
    assert len(names) >= 15
    documented = set(re.findall(r"`/mentor (\w[\w-]*)", README)) | set(
        re.findall(r"· `(\w+)", README)
    )
    assert sorted(set(names) - documented) == []


def test_every_setting_is_in_the_readme_and_env_example() -> None:
    names = {name.upper() for name in Settings.__dataclass_fields__}
    for name in names:
        assert f"`{name}`" in README, name
        assert re.search(rf"^{name}=", ENV_EXAMPLE, re.MULTILINE), name


def test_the_readme_starts_with_exactly_two_commands() -> None:
    first_section = README.split("---")[0]
    blocks = re.findall(r"```bash\n(.*?)```", first_section, re.DOTALL)
    assert len(blocks) == 2
    install_and_run, install_and_test = (b.strip() for b in blocks)
    assert install_and_run.endswith("mentorbot run")
    assert "'.[dev]'" in install_and_test
    assert install_and_test.endswith("pytest")
