"""PII: detect (presidio + secret recognizers, fast orchestration) -> `pii_spans`; scrub for `clean`."""
