"""Collecting items from the plan's sources: Scrapy spiders, extraction, storage, health."""
