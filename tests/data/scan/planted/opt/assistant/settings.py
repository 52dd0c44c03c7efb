openai.api_key = "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"
