"""The image recipe: Image Builder's `CreateImageRecipe` fields plus imagewright's build settings.

Image Builder's own fields keep their names (`semanticVersion`, `parentImage`, `components`,
`blockDeviceMappings`, `workingDirectory`, `additionalInstanceConfiguration`, `tags`). The local
build adds output formats, the file system, the boot mode, the sanitize profile, the
infrastructure and distribution configurations the gate checks, and the test settings.
"""

from __future__ import annotations

import base64
import binascii
import enum
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import Field, field_validator, model_validator

from imagewright.config.yamlload import StrictModel, read_yaml, validate
from imagewright.pipeline.versions import MAX_VERSION_NODE, VersionFilter, is_semantic_version

RESOURCE_NAME = r"^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z0-9]$"
SEMANTIC_VERSION = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
GIB = 1024**3
DEFAULT_ROOT_SIZE_GIB = 4
ROOT_DEVICE_NAMES = ("/dev/sda1", "/dev/xvda", "/dev/nvme0n1", "/dev/vda", "/dev/sda")


class OutputFormat(enum.StrEnum):
    raw = "raw"
    qcow2 = "qcow2"
    vmdk = "vmdk"
    vhd = "vhd"
    tar = "tar"


class FileSystem(enum.StrEnum):
    ext4 = "ext4"
    xfs = "xfs"


class BootMode(enum.StrEnum):
    bios = "bios"
    uefi = "uefi"


class VolumeType(enum.StrEnum):
    standard = "standard"
    io1 = "io1"
    io2 = "io2"
    gp2 = "gp2"
    gp3 = "gp3"
    sc1 = "sc1"
    st1 = "st1"


class ComponentParameter(StrictModel):
    """A value for one of the component document's parameters."""

    name: str = Field(min_length=1, max_length=256)
    value: list[str] = Field(min_length=1)


class ComponentConfiguration(StrictModel):
    """One component of the recipe: a local document, a stored component, or an ARN naming one.

    `componentArn` accepts Image Builder's form `arn:aws:imagebuilder:<region>:<account>:
    component/<name>/<version>[/<build>]`; the name and version are looked up in the local store.
    """

    path: str | None = Field(default=None, description="a local AWSTOE document (YAML)")
    name: str | None = Field(default=None, description="a component in the local store")
    version: str | None = Field(
        default=None, description="x.y.z, x.y.z/n or a wildcard such as 1.x.x (default x.x.x)"
    )
    component_arn: str | None = Field(default=None, alias="componentArn")
    parameters: list[ComponentParameter] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> ComponentConfiguration:
        given = [f for f in ("path", "name", "component_arn") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'path', 'name' (with 'version') or 'componentArn'"
            )
        if self.version is not None:
            if self.name is None:
                raise ValueError("'version' goes with 'name'")
            VersionFilter.parse(self.version)
        if self.component_arn is not None:
            store_reference(self.component_arn)
        return self

    def store_name_and_version(self) -> tuple[str, str] | None:
        """(name, version filter) when the component comes from the store."""
        if self.name is not None:
            return self.name, self.version or "x.x.x"
        if self.component_arn is not None:
            return store_reference(self.component_arn)
        return None

    def parameter_values(self) -> dict[str, str]:
        # AWSTOE parameters are strings; a list of several values is passed comma-separated.
        return {p.name: ",".join(p.value) for p in self.parameters}


def store_reference(arn: str) -> tuple[str, str]:
    """(name, version filter) from an Image Builder component ARN."""
    _, _, resource = arn.partition(":component/")
    parts = resource.split("/")
    if not arn.startswith("arn:") or len(parts) not in (2, 3) or not parts[0]:
        raise ValueError(
            f"'{arn}' is not a component ARN: expected "
            "arn:aws:imagebuilder:<region>:<account>:component/<name>/<version>[/<build>]"
        )
    version = "/".join(parts[1:])
    VersionFilter.parse(version)
    return parts[0], version


class EbsDevice(StrictModel):
    encrypted: bool | None = None
    delete_on_termination: bool | None = Field(default=None, alias="deleteOnTermination")
    iops: int | None = Field(default=None, ge=100, le=64000)
    kms_key_id: str | None = Field(default=None, alias="kmsKeyId")
    snapshot_id: str | None = Field(default=None, alias="snapshotId")
    volume_size: int | None = Field(
        default=None, alias="volumeSize", ge=1, le=16000, description="size in GiB"
    )
    volume_type: VolumeType | None = Field(default=None, alias="volumeType")
    throughput: int | None = Field(default=None, ge=125, le=1000)


class BlockDeviceMapping(StrictModel):
    device_name: str | None = Field(default=None, alias="deviceName", max_length=1024)
    ebs: EbsDevice | None = None
    virtual_name: str | None = Field(default=None, alias="virtualName")
    no_device: str | None = Field(default=None, alias="noDevice")


class SystemsManagerAgent(StrictModel):
    uninstall_after_build: bool | None = Field(default=None, alias="uninstallAfterBuild")


class AdditionalInstanceConfiguration(StrictModel):
    systems_manager_agent: SystemsManagerAgent | None = Field(
        default=None, alias="systemsManagerAgent"
    )
    user_data_override: str | None = Field(
        default=None,
        alias="userDataOverride",
        min_length=1,
        max_length=21847,
        description="base64 user data run in the build instance before the components; "
        "disables the clean-up unless it creates {{workingDirectory}}/perform_cleanup",
    )

    @field_validator("user_data_override")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error as e:
                raise ValueError("userDataOverride must be base64-encoded") from e
        return value

    def user_data(self) -> bytes | None:
        if self.user_data_override is None:
            return None
        return base64.b64decode(self.user_data_override)


class TestsConfiguration(StrictModel):
    enabled: bool = Field(default=True, description="run the components' test phases")
    boot: bool = Field(default=False, description="boot the image under qemu until login:")
    boot_timeout_seconds: int = Field(default=900, alias="bootTimeoutSeconds", ge=30, le=7200)


class Recipe(StrictModel):
    """An image recipe."""

    name: str = Field(pattern=RESOURCE_NAME)
    semantic_version: str = Field(alias="semanticVersion", pattern=SEMANTIC_VERSION)
    description: str | None = Field(default=None, max_length=1024)
    parent_image: str = Field(
        alias="parentImage",
        min_length=1,
        max_length=1024,
        description="debian:<version or suite> (e.g. debian:12), or a local raw, qcow2 or tar "
        "image",
    )
    components: list[ComponentConfiguration] = Field(min_length=1)
    block_device_mappings: list[BlockDeviceMapping] = Field(
        default_factory=list, alias="blockDeviceMappings"
    )
    working_directory: str = Field(default="/tmp", alias="workingDirectory", min_length=1)
    additional_instance_configuration: AdditionalInstanceConfiguration | None = Field(
        default=None, alias="additionalInstanceConfiguration"
    )
    tags: dict[str, str] = Field(default_factory=dict)
    ami_tags: dict[str, str] = Field(default_factory=dict, alias="amiTags")
    output_formats: list[OutputFormat] = Field(
        default_factory=lambda: [OutputFormat.raw], alias="outputFormats", min_length=1
    )
    file_system: FileSystem = Field(default=FileSystem.ext4, alias="fileSystem")
    boot_mode: BootMode = Field(default=BootMode.bios, alias="bootMode")
    sanitize_profile: str = Field(default="ec2-image-builder", alias="sanitizeProfile")
    infrastructure_configuration: str | None = Field(
        default=None, alias="infrastructureConfiguration", description="file checked by the gate"
    )
    distribution_configuration: str | None = Field(
        default=None, alias="distributionConfiguration", description="file used to distribute"
    )
    tests: TestsConfiguration = Field(default_factory=TestsConfiguration)

    @field_validator("semantic_version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # YAML reads `1.2` as a number; report it against the x.y.z pattern like any other typo.
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )

    @field_validator("semantic_version")
    @classmethod
    def _version_nodes(cls, value: str) -> str:
        if not is_semantic_version(value):
            raise ValueError(f"each of x.y.z must be at most {MAX_VERSION_NODE}")
        return value

    @field_validator("working_directory")
    @classmethod
    def _absolute(cls, value: str) -> str:
        path = PurePosixPath(value)
        if not path.is_absolute() or ".." in path.parts:
            raise ValueError("must be an absolute path inside the image without '..'")
        return str(path)

    @field_validator("output_formats")
    @classmethod
    def _unique(cls, value: list[OutputFormat]) -> list[OutputFormat]:
        return list(dict.fromkeys(value))

    def root_size_bytes(self) -> int:
        """The root volume size: the root mapping's ebs.volumeSize, else the first one given."""
        sizes = [
            (m.device_name, m.ebs.volume_size)
            for m in self.block_device_mappings
            if m.ebs is not None and m.ebs.volume_size is not None and m.no_device is None
        ]
        for device, size in sizes:
            if device in ROOT_DEVICE_NAMES:
                return size * GIB
        return (sizes[0][1] if sizes else DEFAULT_ROOT_SIZE_GIB) * GIB


def load_recipe(path: Path) -> tuple[Recipe, Any]:
    """The recipe and its YAML tree (for positions of later errors)."""
    tree = read_yaml(path)
    return validate(Recipe, tree, path), tree


def recipe_schema() -> dict[str, Any]:
    return Recipe.model_json_schema(by_alias=True)
