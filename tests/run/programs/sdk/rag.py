"""A RAG pipeline written for the neatlogs SDK: retriever and reranker spans with their documents."""

import json

import neatlogs

neatlogs.init(workflow_name="rag")

CORPUS = [
    {"id": "doc-1", "content": "Orders ship within two days.", "score": 0.91},
    {"id": "doc-2", "content": "Returns are free for 30 days.", "score": 0.42},
]


@neatlogs.span(kind="RETRIEVER")
def search(query: str) -> list:
    return CORPUS


@neatlogs.span(kind="WORKFLOW")
def pipeline(question: str) -> str:
    found = search(question)
    with neatlogs.trace("vector lookup", kind="RETRIEVER") as span:
        span.set_attribute("neatlogs.retrieval.query", question)
        span.set_attribute("neatlogs.retrieval.top_k", 2)
        span.set_attribute("neatlogs.retrieval.documents", json.dumps(found))
    with neatlogs.trace("rerank", kind="RERANKER") as span:
        span.set_attribute("neatlogs.reranker.query", question)
        span.set_attribute("neatlogs.reranker.model_name", "rerank-lite")
        span.set_attribute("neatlogs.reranker.top_k", 1)
        span.set_attribute("neatlogs.reranker.input_documents", json.dumps(found))
        span.set_attribute("neatlogs.reranker.output_documents", json.dumps(found[:1]))
    return found[0]["content"]


print("Bot:", pipeline("When will my order ship?"))
neatlogs.flush()
