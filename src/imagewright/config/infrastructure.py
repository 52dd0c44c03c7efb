"""Infrastructure configuration: where build and test instances run (Image Builder's
CreateInfrastructureConfiguration fields)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from imagewright.config.imagebuilder import ImageBuilderModel


class S3Logs(ImageBuilderModel):
    s3_bucket_name: str | None = None
    s3_key_prefix: str | None = None


class Logging(ImageBuilderModel):
    s3_logs: S3Logs | None = None


class InstanceMetadataOptions(ImageBuilderModel):
    http_tokens: Literal["optional", "required"] | None = None
    http_put_response_hop_limit: int | None = Field(default=None, ge=1, le=64)


class Placement(ImageBuilderModel):
    availability_zone: str | None = None
    tenancy: Literal["default", "dedicated", "host"] | None = None
    host_id: str | None = None
    host_resource_group_arn: str | None = None


class InfrastructureConfiguration(ImageBuilderModel):
    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    instance_profile_name: str | None = None
    instance_types: list[str] = Field(default_factory=list)
    security_group_ids: list[str] = Field(default_factory=list)
    subnet_id: str | None = None
    key_pair: str | None = None
    # None means "not set": Image Builder's default (true) applies.
    terminate_instance_on_failure: bool | None = None
    instance_metadata_options: InstanceMetadataOptions | None = None
    logging: Logging | None = None
    sns_topic_arn: str | None = None
    placement: Placement | None = None
    resource_tags: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
