"""Image pipeline: which recipe is built on which infrastructure and distributed how (Image
Builder's CreateImagePipeline fields). The *Arn fields also accept a path to an imagewright file,
relative to the pipeline file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from imagewright.config.imagebuilder import ImageBuilderModel


class ImageTestsConfiguration(ImageBuilderModel):
    image_tests_enabled: bool | None = None  # unset: tests run (Image Builder's default)
    timeout_minutes: int | None = Field(default=None, ge=60, le=1440)


class Schedule(ImageBuilderModel):
    schedule_expression: str | None = None
    pipeline_execution_start_condition: (
        Literal["EXPRESSION_MATCH_ONLY", "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"] | None
    ) = None
    timezone: str | None = None


class EcrConfiguration(ImageBuilderModel):
    repository_name: str | None = None
    container_tags: list[str] = Field(default_factory=list)


class ImageScanningConfiguration(ImageBuilderModel):
    image_scanning_enabled: bool | None = None
    ecr_configuration: EcrConfiguration | None = None


class WorkflowParameter(ImageBuilderModel):
    name: str
    value: list[str]


class WorkflowConfiguration(ImageBuilderModel):
    workflow_arn: str
    parameters: list[WorkflowParameter] = Field(default_factory=list)
    parallel_group: str | None = None
    on_failure: Literal["CONTINUE", "ABORT"] | None = None


class LoggingConfiguration(ImageBuilderModel):
    image_log_group_name: str | None = None
    pipeline_log_group_name: str | None = None


class ImagePipeline(ImageBuilderModel):
    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    image_recipe_arn: str | None = None
    container_recipe_arn: str | None = None
    infrastructure_configuration_arn: str
    distribution_configuration_arn: str | None = None
    schedule: Schedule | None = None
    status: Literal["ENABLED", "DISABLED"] | None = None
    image_tests_configuration: ImageTestsConfiguration | None = None
    enhanced_image_metadata_enabled: bool | None = None
    image_scanning_configuration: ImageScanningConfiguration | None = None
    workflows: list[WorkflowConfiguration] = Field(default_factory=list)
    execution_role: str | None = None
    logging_configuration: LoggingConfiguration | None = None
    tags: dict[str, str] = Field(default_factory=dict)
