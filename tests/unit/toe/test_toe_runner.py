"""The runner on this host (real bash, real processes) in a temporary folder."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from imagewright.errors import ConfigError, NeedsAwsError
from imagewright.executors.host import HostExecutor
from imagewright.toe.results import RunSummary, Status
from imagewright.toe.runner import run_documents


def document(tmp_path: Path, body: str, name: str = "doc.yml") -> Path:
    path = tmp_path / name
    path.write_text("schemaVersion: 1.0\n" + body)
    return path


def run(tmp_path: Path, *documents: Path, **options: Any) -> RunSummary:
    return run_documents(
        list(documents),
        phases=options.pop("phases", None),
        parameters=options.pop("parameters", {}),
        executor=HostExecutor(),
        log_directory=tmp_path / "logs",
        **options,
    )


def run_build(tmp_path: Path, *steps_text: str) -> RunSummary:
    """Run a document with one build phase made of steps_text."""
    return run(tmp_path, document(tmp_path, "phases:\n" + phase("build", *steps_text)))


def detailed(summary: RunSummary) -> dict[str, Any]:
    tree: dict[str, Any] = json.loads((summary.log_folder / "detailedoutput.json").read_text())
    return tree


def steps(summary: RunSummary) -> dict[str, dict[str, Any]]:
    return {
        f"{p['name']}.{s['name']}": s
        for d in detailed(summary)["documents"]
        for p in d["phases"]
        for s in p["steps"]
    }


def bash(name: str, *commands: str, extra: str = "") -> str:
    lines = "".join(f"            - {json.dumps(c)}\n" for c in commands)
    head = f"      - name: {name}\n        action: ExecuteBash\n{extra}"
    return f"{head}        inputs:\n          commands:\n{lines}"


def phase(name: str, *steps_text: str) -> str:
    return f"  - name: {name}\n    steps:\n" + "".join(steps_text)


def test_on_failure_modes_and_statuses(tmp_path: Path) -> None:
    path = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            bash("Ignored", "exit 2", extra="        onFailure: Ignore\n"),
            bash("Fine", "echo ok"),
        ),
    )
    summary = run(tmp_path, path)
    assert summary.status is Status.success_with_ignored_failure and summary.succeeded
    assert (summary.executed_step_count, summary.ignored_failed_step_count) == (2, 1)
    assert steps(summary)["build.Ignored"]["status"] == "ignoredFailure"

    path = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            bash("Continued", "exit 2", extra="        onFailure: Continue\n"),
            bash("StillRuns", "echo ok"),
            bash("Aborts", "echo bad >&2; exit 5"),
            bash("NeverRuns", "echo no"),
        )
        + phase("validate", bash("NeverEither", "true")),
    )
    summary = run(tmp_path, path, path)
    assert summary.status is Status.failed and not summary.succeeded
    assert (summary.failed_step_count, summary.executed_step_count) == (2, 3)
    names = steps(summary)
    assert list(names) == ["build.Continued", "build.StillRuns", "build.Aborts"]
    assert "exit code 5: bad" in names["build.Aborts"]["failureMessage"]
    assert len(detailed(summary)["documents"]) == 1  # abort stops the remaining documents
    assert summary.failure_message.startswith("Document ")
    assert "build/Continued: exit code 2" in summary.failure_message


def test_retries_until_an_attempt_succeeds(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    path = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            bash(
                "Flaky",
                f"n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}",
                f'[ "$(cat {counter})" -ge 3 ]',
                extra="        maxAttempts: 3\n",
            ),
        ),
    )
    summary = run(tmp_path, path)
    assert summary.status is Status.success
    assert steps(summary)["build.Flaky"]["attempts"] == 3
    counter.unlink()
    path.write_text(path.read_text().replace("maxAttempts: 3", "maxAttempts: 2"))
    assert run(tmp_path, path).status is Status.failed


def test_timeout_kills_the_process_group_and_is_retried(tmp_path: Path) -> None:
    path = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            bash(
                "Slow",
                f"echo x >> {tmp_path}/attempts",
                "sleep 30 & sleep 30",
                extra="        timeoutSeconds: 1\n        maxAttempts: 2\n",
            ),
        ),
    )
    started = time.monotonic()
    summary = run(tmp_path, path)
    assert time.monotonic() - started < 15
    assert summary.status is Status.failed
    assert "timed out" in steps(summary)["build.Slow"]["failureMessage"]
    assert (tmp_path / "attempts").read_text() == "x\nx\n"


def test_loops_and_merged_outputs(tmp_path: Path) -> None:
    path = document(
        tmp_path,
        textwrap.dedent(
            """\
        parameters:
          - Packages:
              type: string
              default: "vim curl git"
        phases:
        """
        )
        + phase(
            "build",
            bash(
                "Up",
                "echo {{ loop.index }}:{{ loop.value }}",
                extra="        loop:\n          for: {start: 1, end: 5, updateBy: 2}\n",
            ),
            bash(
                "Down",
                "echo {{ n.value }}",
                extra="        loop:\n          name: n\n"
                "          for: {start: 3, end: 1, updateBy: -1}\n",
            ),
            bash(
                "List",
                "echo '{{ loop.value }}'",
                extra="        loop:\n          forEach: [a, '{{ build.Down.outputs.stdout }}']\n",
            ),
            bash(
                "Split",
                "echo {{ pkg.value }}",
                extra="        loop:\n          name: pkg\n          forEach:\n"
                "            list: '{{ Packages }}'\n            delimiter: ' '\n",
            ),
            bash(
                "StopsEarly",
                "echo {{ loop.value }}",
                "[ {{ loop.value }} != b ]",
                extra="        onFailure: Continue\n        loop:\n          forEach: [a, b, c]\n",
            ),
        ),
    )
    summary = run(tmp_path, path)
    results = steps(summary)
    output = {name: json.loads(s["outputs"]) for name, s in results.items()}
    assert output["build.Up"] == [{"stdout": "0:1\n1:3\n2:5"}]
    assert output["build.Down"] == [{"stdout": "3\n2\n1"}]
    assert output["build.List"] == [{"stdout": "a\n3\n2\n1"}]
    assert output["build.Split"] == [{"stdout": "vim\ncurl\ngit"}]
    assert results["build.StopsEarly"]["status"] == "failed"
    assert "loop iteration 1 failed" in results["build.StopsEarly"]["failureMessage"]
    assert results["build.Up"]["loop"] == {"name": "", "iterations": 3}


def test_chaining_inputs_and_outputs_and_conditions(tmp_path: Path) -> None:
    path = document(
        tmp_path,
        textwrap.dedent(
            """\
        parameters:
          - Dir:
              type: string
              default: /nowhere
        phases:
        """
        )
        + phase(
            "build",
            bash("Where", f"echo {tmp_path}"),
            bash(
                "Use",
                "echo '{{ build.Where.outputs.stdout }}/x' '{{ build.Where.inputs.commands }}'"
                " '{{ build.Where.outputs[0].stdout }}' '{{ build.Where.inputs[0].commands[0] }}'",
            ),
            "      - name: Check\n        action: Assert\n        inputs:\n"
            "          and:\n            - folderExists: '{{ build.Where.outputs.stdout }}'\n"
            "            - not: {folderExists: '{{ Dir }}'}\n",
            bash("Skipped", "exit 1", extra="        if:\n          folderExists: '{{ Dir }}'\n"),
            bash(
                "OnlyThen",
                "exit 1",
                extra="        if:\n          folderExists: /\n"
                "          then: Skip\n          else: Execute\n",
            ),
            bash(
                "Aborted",
                "true",
                extra="        onFailure: Ignore\n        if:\n"
                "          folderExists: /\n          then: Abort\n",
            ),
            bash("FromSkipped", "echo '[{{ build.Skipped.outputs.stdout }}]'"),
        ),
    )
    summary = run(tmp_path, path)
    results = steps(summary)
    assert json.loads(results["build.Use"]["outputs"]) == [
        {"stdout": f"{tmp_path}/x echo {tmp_path} {tmp_path} echo {tmp_path}"}
    ]
    assert results["build.Check"]["status"] == "success"
    assert results["build.Skipped"]["status"] == "skipped"
    assert results["build.OnlyThen"]["status"] == "skipped"
    assert results["build.Aborted"]["status"] == "ignoredFailure"
    assert json.loads(results["build.FromSkipped"]["outputs"]) == [{"stdout": "[]"}]
    chaining = json.loads((summary.log_folder / "chaining.json").read_text())
    assert {"expression": "build.Where.outputs.stdout", "value": str(tmp_path)}.items() <= chaining[
        0
    ].items()


def test_failed_assert_fails_the_step(tmp_path: Path) -> None:
    summary = run_build(
        tmp_path,
        bash("Version", "echo 2.1.0"),
        "      - name: IsCurrent\n        action: Assert\n        inputs:\n"
        "          stringEquals: '2.1.1'\n"
        "          value: '{{ build.Version.outputs.stdout }}'\n",
    )
    assert summary.status is Status.failed
    assert "assertion is false: stringEquals '2.1.1' (value '2.1.0')" in summary.failure_message


def test_phase_filter_keeps_document_order_and_documents_run_in_turn(tmp_path: Path) -> None:
    log_file = tmp_path / "order"
    first = document(
        tmp_path,
        "phases:\n"
        + phase("build", bash("B", f"echo first-build >> {log_file}"))
        + phase("validate", bash("V", f"echo first-validate >> {log_file}"))
        + phase("test", bash("T", f"echo first-test >> {log_file}")),
        "first.yml",
    )
    second = document(
        tmp_path,
        "phases:\n" + phase("build", bash("B", f"echo second-build >> {log_file}")),
        "second.yml",
    )
    summary = run(tmp_path, first, second, phases=["validate", "build"])
    assert summary.status is Status.success
    assert log_file.read_text().split() == ["first-build", "first-validate", "second-build"]
    assert run(tmp_path, first, phases=["typo"]).executed_step_count == 0


def test_parameters_override_defaults_and_constants_stay(tmp_path: Path) -> None:
    path = document(
        tmp_path,
        textwrap.dedent(
            """\
        parameters:
          - Who:
              type: string
              default: world
          - Required:
              type: string
        constants:
          - Fixed:
              type: string
              value: constant
        phases:
        """
        )
        + phase("build", bash("Hello", "echo '{{ Who }}|{{ Required }}|{{ Fixed }}'")),
    )
    result = run(tmp_path, path, parameters={"Who": "you", "Fixed": "changed", "Other": "x"})
    assert json.loads(steps(result)["build.Hello"]["outputs"]) == [{"stdout": "you||constant"}]


def test_environment_and_context_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOE_TEST_VALUE", "from-env")
    path = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            bash(
                "Vars",
                "echo '{{ env:TOE_TEST_VALUE }}|{{ context:phase }}|{{ context:step }}|"
                "{{ context:osPlatform }}|{{ context:executionId }}|{{ context:date }}'",
            ),
        ),
    )
    result = run(tmp_path, path, execution_id="run-1")
    stdout = json.loads(steps(result)["build.Vars"]["outputs"])[0]["stdout"]
    assert stdout.startswith("from-env|build|Vars|linux|run-1|20")


def test_aws_references_stop_the_run_before_any_step(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    declarations = "parameters:\n  - KeyName:\n      type: string\n      default: /app/key\n"
    path = document(
        tmp_path,
        declarations
        + "phases:\n"
        + phase(
            "build",
            bash("First", f"touch {marker}"),
            bash("Resolved", "echo '{{ aws:ssm:resolve(KeyName) }}'"),
            bash(
                "Secret",
                "echo '{{ aws:ssm:/app/password }}'",
                extra="        disableLogging: true\n",
            ),
        ),
    )
    with pytest.raises(NeedsAwsError, match="needs AWS"):
        run(tmp_path, path)
    assert not marker.exists()
    variables = {"aws:ssm:/app/password": "s3cret", "aws:ssm:/other/key": "resolved"}
    with pytest.raises(NeedsAwsError, match="resolve"):
        run(tmp_path, path, variables=variables)  # KeyName names /app/key, not supplied
    result = run(tmp_path, path, variables=variables, parameters={"KeyName": "/other/key"})
    assert result.status is Status.success
    assert steps(result)["build.Resolved"]["outputs"] == '[{"stdout": "resolved"}]'
    secret_step = steps(result)["build.Secret"]
    assert secret_step["outputs"] == '["<disableLogging>"]'
    logs = "".join(p.read_text() for p in result.log_folder.iterdir() if p.is_file())
    assert "s3cret" not in logs.replace("{{ aws:ssm:/app/password }}", "")


def test_nested_documents_cycles_and_depth(tmp_path: Path) -> None:
    document(
        tmp_path,
        textwrap.dedent(
            """\
        parameters:
          - Word:
              type: string
              default: unset
        phases:
        """
        )
        + phase("build", bash("Echo", "echo inner-{{ Word }}"))
        + phase("test", bash("NotRun", "exit 1")),
        "inner.yml",
    )
    outer = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            "      - name: Nested\n        action: ExecuteDocument\n        inputs:\n"
            "          document: inner.yml\n          phases: build\n"
            "          parameters:\n            - name: Word\n              value: passed\n",
        ),
        "outer.yml",
    )
    summary = run(tmp_path, outer)
    assert summary.status is Status.success
    nested = steps(summary)["build.Nested"]
    assert json.loads(nested["outputs"])[0]["status"] == "success"
    tree = nested["detailedOutput"][0]
    assert tree["phases"][0]["steps"][0]["outputs"] == '[{"stdout": "inner-passed"}]'
    assert [p["name"] for p in tree["phases"]] == ["build"]

    looping = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            "      - name: Self\n        action: ExecuteDocument\n        inputs:\n"
            "          document: self.yml\n",
        ),
        "self.yml",
    )
    summary = run(tmp_path, looping)
    assert summary.status is Status.failed
    assert "cycle" in summary.failure_message

    chain = [tmp_path / f"level{n}.yml" for n in range(5)]
    for n, path in enumerate(chain):
        body = (
            bash("Leaf", "true")
            if n == len(chain) - 1
            else "      - name: Down\n        action: ExecuteDocument\n        inputs:\n"
            f"          document: {chain[n + 1]}\n"
        )
        document(tmp_path, "phases:\n" + phase("build", body), path.name)
    summary = run(tmp_path, chain[1])  # 4 documents: allowed
    assert summary.status is Status.success
    summary = run(tmp_path, chain[0])  # 5 documents: too deep
    assert "nests deeper than 3 levels" in json.dumps(detailed(summary))


def test_execute_binary(tmp_path: Path) -> None:
    path = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            "      - name: Bin\n        action: ExecuteBinary\n        inputs:\n"
            "          path: printf\n          arguments: ['%s-%s', a, 'b c']\n",
            "      - name: Missing\n        action: ExecuteBinary\n        onFailure: Ignore\n"
            "        inputs:\n          path: /no/such/program\n",
        ),
    )
    results = steps(run(tmp_path, path))
    assert json.loads(results["build.Bin"]["outputs"]) == [{"stdout": "a-b c"}]
    assert results["build.Missing"]["status"] == "ignoredFailure"


def test_reboot_and_resume_is_simulated(tmp_path: Path) -> None:
    marker = tmp_path / "rebooted"
    path = document(
        tmp_path,
        "phases:\n"
        + phase(
            "build",
            bash(
                "NeedsReboot",
                f"if [ -f {marker} ]; then rm {marker}; echo after; exit 0; fi",
                f"touch {marker}",
                "exit 194",
                extra=f"        if:\n          not: {{fileExists: {marker}}}\n",
            ),
            "      - name: Restart\n        action: Reboot\n",
            bash("After", "echo done"),
        ),
    )
    state = tmp_path / "state"
    summary = run(tmp_path, path, state_directory=state)
    assert summary.status is Status.success
    results = steps(summary)
    assert json.loads(results["build.NeedsReboot"]["outputs"]) == [{"stdout": "after"}]
    assert results["build.Restart"]["status"] == "success"
    assert list(results) == ["build.NeedsReboot", "build.Restart", "build.After"]
    assert not (state / "state.json").exists()


def test_endless_reboot_requests_fail(tmp_path: Path) -> None:
    summary = run_build(tmp_path, bash("Again", "exit 194"))
    assert summary.status is Status.failed
    assert "requested a reboot more than 5 times" in summary.failure_message


def test_windows_modules_fail_at_run_time(tmp_path: Path) -> None:
    summary = run_build(
        tmp_path,
        "      - name: Win\n        action: ExecutePowerShell\n"
        "        inputs:\n          commands: [Write-Host hi]\n",
    )
    assert summary.status is Status.failed
    assert "ExecutePowerShell is not supported on linux" in summary.failure_message


def test_bad_documents_raise_config_errors_before_running(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    good = document(
        tmp_path, "phases:\n" + phase("build", bash("A", f"touch {marker}")), "good.yml"
    )
    bad = document(tmp_path, "phases:\n  - name: build\n    steps: []\n", "bad.yml")
    with pytest.raises(ConfigError):
        run(tmp_path, good, bad)
    assert not marker.exists()


def test_log_folder(tmp_path: Path) -> None:
    path = document(
        tmp_path,
        "name: Logged\nphases:\n"
        + phase("build", bash("Say", "echo to-console", "echo to-stderr >&2")),
    )
    summary = run(tmp_path, path, execution_id="abc-123")
    folder = summary.log_folder
    assert folder.parent == tmp_path / "logs"
    assert folder.name.startswith("TOE_20") and folder.name.endswith("_UTC-0_abc-123")
    assert sorted(p.name for p in folder.iterdir()) == [
        "application.log",
        "chaining.json",
        "console.log",
        "detailedoutput.json",
        "document.yaml",
    ]
    console = (folder / "console.log").read_text()
    assert "to-console\n" in console and "CmdExecution: Stderr: to-stderr" in console
    assert "build/Say success" in (folder / "application.log").read_text()
    assert "name: Logged" in (folder / "document.yaml").read_text()
    tree = detailed(summary)
    assert tree["executionId"] == "abc-123" and tree["status"] == "success"
    step = tree["documents"][0]["phases"][0]["steps"][0]
    assert step["inputs"] == json.dumps([{"commands": ["echo to-console", "echo to-stderr >&2"]}])
    assert (step["timeoutSeconds"], step["onFailure"], step["maxAttempts"]) == (7200, "Abort", 1)
    assert summary.as_json()["logUrl"] == str(folder)
