"""The image build pipeline: recipes to tested, sanitized, versioned images, their catalog and
their distribution."""
