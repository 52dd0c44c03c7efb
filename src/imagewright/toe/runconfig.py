"""awstoe's --config run configuration (awstoe.md §4.3)."""

from __future__ import annotations

import logging

from pydantic import Field

from imagewright.config.yamlload import StrictModel
from imagewright.toe.actions._target import Text

log = logging.getLogger(__name__)


class NameValue(StrictModel):
    name: Text
    value: Text


class ConfigDocument(StrictModel):
    path: str
    parameters: list[NameValue] = Field(default_factory=list)


class RunConfig(StrictModel):
    """awstoe's --config JSON (awstoe.md §4.3). S3 and CloudWatch settings are accepted and
    ignored with a warning: logs stay in the local log folder."""

    documents: list[ConfigDocument] = Field(min_length=1)
    phases: str | None = None
    parameters: list[NameValue] | None = None
    execution_id: str | None = Field(default=None, alias="executionId")
    log_directory: str | None = Field(default=None, alias="logDirectory")
    state_directory: str | None = Field(default=None, alias="stateDirectory")
    trace: bool = False
    log_s3_bucket_name: str | None = Field(default=None, alias="logS3BucketName")
    log_s3_key_prefix: str | None = Field(default=None, alias="logS3KeyPrefix")
    log_s3_bucket_owner: str | None = Field(default=None, alias="logS3BucketOwner")
    cw_log_group: str | None = Field(default=None, alias="cwLogGroup")
    cw_log_stream: str | None = Field(default=None, alias="cwLogStream")
    cw_log_region: str | None = Field(default=None, alias="cwLogRegion")
    cw_ignore_failures: bool | None = Field(default=None, alias="cwIgnoreFailures")
    document_s3_bucket_owner: str | None = Field(default=None, alias="documentS3BucketOwner")

    def warn_ignored(self) -> None:
        for name in ("log_s3_bucket_name", "cw_log_group"):
            if getattr(self, name):
                log.warning("%s needs AWS; logs stay in the local log folder", name)
