"""Build orchestration: catalog, exports, distribution."""
