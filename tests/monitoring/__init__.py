"""Tests of the Prometheus metrics: who may scrape, what is counted, bounded labels, many workers."""
