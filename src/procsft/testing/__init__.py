"""Test doubles that tests and benchmarks share, shipped with the library so both drive the
same real things: a loopback HTTP server speaking the OpenAI and Anthropic wire formats
(`loopback_llm.LoopbackLLMServer`, real sockets, scripted faults) and synthetic studies of
verdicts with known rates (`synthetic.make_study`). Neither is imported by the pipeline."""
