"""Whatever a file holds, reading it gives a graph or a ConfigError, never a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from imagewright.errors import ConfigError
from imagewright.policy.engine import evaluate
from imagewright.policy.inputs import read_input
from imagewright.policy.policyfile import Policy

KEYS = st.sampled_from(
    ["Resources", "Type", "Properties", "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::If", "Fn::Select",
     "Fn::Join", "SecurityGroupIngress", "CidrIp", "IpProtocol", "FromPort", "SecurityGroups",
     "IpPermissions", "LaunchPermissions", "distributions", "components", "name", "Conditions",
     "infrastructureConfiguration", "AWS::EC2::SecurityGroup", "x"]
)  # fmt: skip
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=12), KEYS)
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(tree=st.dictionaries(KEYS, TREES, min_size=1, max_size=4))
def test_arbitrary_json_never_escapes_as_a_traceback(tree: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.json"
        path.write_text(json.dumps(tree))
        try:
            graph = read_input(path)
        except ConfigError:
            return
        evaluate(graph, Policy(), target=str(path))
