"""Distribution configuration: who an image is shared with and where its artifacts go
(Image Builder's CreateDistributionConfiguration fields, plus `localExportConfiguration`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from imagewright.config.imagebuilder import ImageBuilderModel

AccountId = Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class LaunchPermission(ImageBuilderModel):
    user_ids: list[AccountId] = Field(default_factory=list)
    user_groups: list[Literal["all"]] = Field(default_factory=list)  # "all" makes it public
    organization_arns: list[str] = Field(default_factory=list)
    organizational_unit_arns: list[str] = Field(default_factory=list)


class AmiDistributionConfiguration(ImageBuilderModel):
    name: str | None = None
    description: str | None = None
    target_account_ids: list[AccountId] = Field(default_factory=list)
    kms_key_id: str | None = None
    ami_tags: dict[str, str] = Field(default_factory=dict)
    launch_permission: LaunchPermission | None = None


class TargetRepository(ImageBuilderModel):
    service: Literal["ECR"] = "ECR"
    repository_name: str


class ContainerDistributionConfiguration(ImageBuilderModel):
    target_repository: TargetRepository
    container_tags: list[str] = Field(default_factory=list)
    description: str | None = None


class S3ExportConfiguration(ImageBuilderModel):
    """The artifacts are uploaded to s3://s3Bucket/s3Prefix/<image>/ (S3 API through boto3)."""

    role_name: str | None = None  # used by Image Builder's VM Import/Export; not needed locally
    disk_image_format: Literal["VMDK", "RAW", "VHD"] | None = None
    s3_bucket: str = Field(min_length=3, max_length=63)
    s3_prefix: str | None = None


class LocalExportConfiguration(ImageBuilderModel):
    """imagewright's own target: the artifacts are copied to directory/<image>/."""

    directory: str = Field(min_length=1)


class LaunchTemplateConfiguration(ImageBuilderModel):
    launch_template_id: str = Field(pattern=r"^lt-[a-z0-9-_]{17}$")
    account_id: AccountId | None = None
    set_default_version: bool | None = None


class FastLaunchTemplate(ImageBuilderModel):
    launch_template_id: str | None = None
    launch_template_name: str | None = None
    launch_template_version: str | None = None


class FastLaunchSnapshotConfiguration(ImageBuilderModel):
    target_resource_count: int | None = None


class FastLaunchConfiguration(ImageBuilderModel):
    enabled: bool
    snapshot_configuration: FastLaunchSnapshotConfiguration | None = None
    max_parallel_launches: int | None = None
    launch_template: FastLaunchTemplate | None = None
    account_id: AccountId | None = None


class SsmParameterConfiguration(ImageBuilderModel):
    ami_account_id: AccountId | None = None
    parameter_name: str
    data_type: Literal["text", "aws:ec2:image"] | None = None


class Distribution(ImageBuilderModel):
    region: str | None = None  # required by Image Builder; local and S3 targets may omit it
    ami_distribution_configuration: AmiDistributionConfiguration | None = None
    container_distribution_configuration: ContainerDistributionConfiguration | None = None
    s3_export_configuration: S3ExportConfiguration | None = None
    local_export_configuration: LocalExportConfiguration | None = None
    launch_template_configurations: list[LaunchTemplateConfiguration] = Field(default_factory=list)
    fast_launch_configurations: list[FastLaunchConfiguration] = Field(default_factory=list)
    license_configuration_arns: list[str] = Field(default_factory=list)
    ssm_parameter_configurations: list[SsmParameterConfiguration] = Field(default_factory=list)


class DistributionConfiguration(ImageBuilderModel):
    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    distributions: list[Distribution] = Field(min_length=1)
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_region_entry_each(self) -> DistributionConfiguration:
        regions = [d.region for d in self.distributions if d.region is not None]
        duplicates = sorted({r for r in regions if regions.count(r) > 1})
        if duplicates:
            raise ValueError(f"region listed more than once: {', '.join(duplicates)}")
        return self
