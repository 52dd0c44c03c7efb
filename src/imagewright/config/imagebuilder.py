"""Base of the models that mirror Image Builder's resources: the files use its camelCase names."""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from imagewright.config.yamlload import StrictModel


class ImageBuilderModel(StrictModel):
    """A StrictModel whose fields are spelled in the file as Image Builder's API spells them."""

    model_config = ConfigDict(alias_generator=to_camel)
