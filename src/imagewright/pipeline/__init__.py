"""The image build pipeline: recipes to tested, sanitized, versioned images, and their catalog."""
