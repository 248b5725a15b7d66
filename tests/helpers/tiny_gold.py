"""Three gold items in the shared schema over the tiny corpus of conftest."""

GOLD = [
    {"id": "t1", "question": "What is the biggest message SQS accepts?", "answer": "256 KB.",
     "facts": ["256 kb|256kb"], "doc": "100", "section": "Amazon SQS", "evidence": "Max message size is 256 KB",
     "type": "numeric"},
    {"id": "t2", "question": "kinesis shard write capacity", "answer": "1MB/s or 1000 records/s.",
     "facts": ["1mb|1 mb"], "doc": "101", "section": "Kinesis Shards",
     "evidence": "Each shard gets 1MB/s in, or 1000 records/s", "type": "keyword"},
    {"id": "t3", "question": "How do I bake sourdough bread at home?", "answer": "Not in the study material.",
     "facts": [], "doc": "", "section": "", "evidence": "", "type": "unanswerable"},
]
