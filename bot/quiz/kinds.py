"""What counts as "the same kind of thing" for multiple-choice distractors: AWS services by area.

Distractors of a "which service fits?" card come from the answer's area (other storage services for a
storage service, other streaming services for a streaming one …), so a wrong choice is never absurd
and never the answer under another name: every name of one service lives in one entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.quiz.text import VENDOR_WORDS, singular
from bot.search.query import DATA, load_service_names, read_table


@dataclass(frozen=True)
class Service:
    name: str
    aliases: tuple[str, ...]  # other names as written in text (matched case-sensitively, whole words)
    areas: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def _s(name: str, aliases: str, areas: str) -> Service:
    return Service(name, tuple(a.strip() for a in aliases.split(",") if a.strip()), tuple(areas.split()))


# Common words (Config, Batch, Backup, Glue …) are listed only with their AWS/Amazon prefix.
CATALOGUE: tuple[Service, ...] = (
    _s("Amazon S3", "S3, Simple Storage Service, Amazon Simple Storage Service, AWS S3", "storage"),
    _s("Amazon S3 Glacier", "Glacier, S3 Glacier, Amazon Glacier", "archive"),
    _s("Amazon EBS", "EBS, Elastic Block Store, Amazon Elastic Block Store, AWS EBS", "storage"),
    _s("Amazon EFS", "EFS, Elastic File System, Amazon Elastic File System", "storage"),
    _s("Amazon FSx", "FSx, FSx for Lustre, FSx for Windows File Server, FSx for NetApp ONTAP", "storage"),
    _s("AWS Storage Gateway", "Storage Gateway, File Gateway, Volume Gateway, Tape Gateway", "storage migration"),
    _s("AWS Backup", "", "storage"),
    _s("AWS Snowball", "Snowball, Snowball Edge, AWS Snowball Edge", "migration"),
    _s("AWS Snowcone", "Snowcone", "migration"),
    _s("AWS Snowmobile", "Snowmobile", "migration"),
    _s("Amazon WorkDocs", "WorkDocs", "collaboration"),
    _s("AWS DataSync", "DataSync", "migration"),
    _s("AWS Database Migration Service", "DMS, AWS DMS, Database Migration Service", "migration"),
    _s("AWS Transfer Family", "Transfer Family", "migration"),
    _s("AWS Application Migration Service", "Application Migration Service, MGN", "migration"),
    _s("AWS Application Discovery Service", "Application Discovery Service", "migration"),
    _s("Amazon RDS", "RDS, Relational Database Service, Amazon Relational Database Service", "database"),
    _s("Amazon Aurora", "Aurora", "database"),
    _s("Amazon DynamoDB", "DynamoDB, AWS DynamoDB", "database nosql"),
    _s("Amazon DocumentDB", "DocumentDB", "database nosql"),
    _s("Amazon Neptune", "Neptune", "database nosql"),
    _s("Amazon Keyspaces", "Keyspaces", "database nosql"),
    _s("Amazon ElastiCache", "ElastiCache", "database nosql"),
    _s("Amazon MemoryDB", "MemoryDB, MemoryDB for Redis", "database nosql"),
    _s("Amazon Timestream", "Timestream", "database nosql"),
    _s("Amazon QLDB", "QLDB, Quantum Ledger Database", "database"),
    _s("Amazon Redshift", "Redshift", "warehouse"),
    _s("Amazon Redshift Spectrum", "Redshift Spectrum", "query"),
    _s("Amazon Kinesis Data Streams", "Kinesis Data Streams, Kinesis Data Stream, Kinesis Streams, KDS", "streaming"),
    _s("Amazon Data Firehose", "Kinesis Data Firehose, Amazon Kinesis Data Firehose, Kinesis Firehose, "
       "Amazon Kinesis Firehose, Firehose, KDF", "streaming"),
    _s(
        "Amazon Managed Service for Apache Flink",
        "Managed Service for Apache Flink, Kinesis Data Analytics, Amazon Kinesis Data Analytics, KDA",
        "streaming",
    ),
    _s("Amazon MSK", "MSK, Managed Streaming for Apache Kafka, Amazon Managed Streaming for Apache Kafka", "streaming"),
    _s("Amazon SQS", "SQS, Simple Queue Service, Amazon Simple Queue Service", "messaging"),
    _s("Amazon SNS", "SNS, Simple Notification Service, Amazon Simple Notification Service", "messaging"),
    _s("Amazon EventBridge", "EventBridge, CloudWatch Events", "messaging"),
    _s("Amazon MQ", "", "messaging"),
    _s("Amazon Athena", "Athena, AWS Athena", "query analytics"),
    _s("Amazon EMR", "EMR, Elastic MapReduce, Amazon Elastic MapReduce", "analytics"),
    _s("AWS Glue", "Glue", "analytics etl"),
    _s("AWS Glue DataBrew", "DataBrew, Glue DataBrew", "etl"),
    _s("AWS Lake Formation", "Lake Formation", "governance"),
    _s("Amazon QuickSight", "QuickSight", "bi"),
    _s("Amazon Managed Grafana", "Managed Grafana", "bi"),
    _s("Amazon OpenSearch Service", "OpenSearch, OpenSearch Service, AWS OpenSearch, Elasticsearch Service",
       "analytics"),
    _s("Amazon AppFlow", "AppFlow", "etl"),
    _s("AWS Data Pipeline", "Data Pipeline", "orchestration"),
    _s("AWS Step Functions", "Step Functions", "orchestration"),
    _s("Amazon MWAA", "MWAA, Managed Workflows for Apache Airflow, Amazon Managed Workflows for Apache Airflow",
       "orchestration"),
    _s("Amazon SWF", "SWF, Simple Workflow Service, Amazon Simple Workflow Service", "orchestration"),
    _s("Amazon EC2", "EC2, Elastic Compute Cloud", "compute"),
    _s("AWS Lambda", "Lambda", "compute"),
    _s("Amazon ECS", "ECS, Elastic Container Service, Amazon Elastic Container Service", "compute containers"),
    _s("Amazon EKS", "EKS, Elastic Kubernetes Service, Amazon Elastic Kubernetes Service", "compute containers"),
    _s("AWS Fargate", "Fargate", "compute containers"),
    _s("Amazon ECR", "ECR, Elastic Container Registry, Amazon Elastic Container Registry", "containers"),
    _s("AWS Batch", "", "compute"),
    _s("AWS Elastic Beanstalk", "Elastic Beanstalk", "compute"),
    _s("AWS IAM", "IAM, Identity and Access Management, AWS Identity and Access Management", "security"),
    _s("AWS KMS", "KMS, Key Management Service, AWS Key Management Service", "encryption"),
    _s("AWS CloudHSM", "CloudHSM", "encryption"),
    _s("AWS Secrets Manager", "Secrets Manager", "secrets"),
    _s("AWS Systems Manager Parameter Store", "Parameter Store, SSM Parameter Store", "secrets"),
    _s("Amazon Macie", "Macie, AWS Macie", "threat"),
    _s("Amazon GuardDuty", "GuardDuty", "threat"),
    _s("Amazon Inspector", "", "threat"),
    _s("AWS WAF", "WAF, Web Application Firewall, AWS Web Application Firewall", "edge-security"),
    _s("AWS Shield", "Shield, Shield Standard, Shield Advanced, AWS Shield Advanced", "edge-security"),
    _s("Amazon Cognito", "Cognito", "identity"),
    _s("AWS Directory Service", "Directory Service", "identity"),
    _s("AWS IAM Identity Center", "IAM Identity Center, AWS SSO, AWS Single Sign-On", "identity"),
    _s("Amazon CloudWatch", "CloudWatch, AWS CloudWatch", "monitoring"),
    _s("AWS CloudTrail", "CloudTrail", "monitoring"),
    _s("AWS Config", "", "monitoring"),
    _s("AWS CloudFormation", "CloudFormation", "iac"),
    _s("AWS CDK", "CDK, Cloud Development Kit", "iac"),
    _s("AWS SAM", "SAM, Serverless Application Model", "iac"),
    _s("AWS Organizations", "", "governance"),
    _s("AWS Trusted Advisor", "Trusted Advisor", "monitoring"),
    _s("Amazon VPC", "VPC, Virtual Private Cloud", "network"),
    _s("Amazon Route 53", "Route 53, Route53", "edge"),
    _s("Amazon CloudFront", "CloudFront", "edge"),
    _s("AWS Global Accelerator", "Global Accelerator", "edge"),
    _s("Elastic Load Balancing",
       "ELB, Elastic Load Balancer, Application Load Balancer, ALB, Network Load Balancer, NLB", "network"),
    _s("Amazon API Gateway", "API Gateway", "edge"),
    _s("AWS Direct Connect", "Direct Connect", "hybrid"),
    _s("AWS Site-to-Site VPN", "Site-to-Site VPN", "hybrid"),
    _s("AWS Transit Gateway", "Transit Gateway", "network"),
    _s("AWS PrivateLink", "PrivateLink", "network"),
    _s("AWS CodeCommit", "CodeCommit", "devtools"),
    _s("AWS CodeBuild", "CodeBuild", "devtools"),
    _s("AWS CodeDeploy", "CodeDeploy", "devtools"),
    _s("AWS CodePipeline", "CodePipeline", "devtools"),
    _s("Amazon SageMaker", "SageMaker", "ml"),
)

# Areas whose members answer the same kind of exam question ("which store / which stream …").
AREA_GROUPS: dict[str, tuple[str, ...]] = {
    "storage": ("storage", "archive"),
    "archive": ("storage", "archive"),
    "database": ("database", "nosql", "warehouse"),
    "nosql": ("nosql", "database"),
    "warehouse": ("warehouse", "database", "query"),
    "query": ("query", "warehouse", "analytics"),
    "streaming": ("streaming", "messaging"),
    "messaging": ("messaging", "streaming"),
    "analytics": ("analytics", "query", "etl"),
    "etl": ("etl", "analytics"),
    "bi": ("bi", "analytics"),
    "orchestration": ("orchestration",),
    "compute": ("compute", "containers"),
    "containers": ("containers", "compute"),
    "migration": ("migration",),
    "security": ("security", "identity", "encryption", "secrets"),
    "encryption": ("encryption", "secrets", "security"),
    "secrets": ("secrets", "encryption"),
    "threat": ("threat", "edge-security", "monitoring"),
    "edge-security": ("edge-security", "threat"),
    "identity": ("identity", "security"),
    "monitoring": ("monitoring", "threat"),
    "iac": ("iac", "devtools"),
    "governance": ("governance", "security"),
    "network": ("network", "hybrid", "edge"),
    "edge": ("edge", "network"),
    "hybrid": ("hybrid", "network"),
    "devtools": ("devtools", "iac"),
    "ml": ("ml", "analytics"),
}


@lru_cache(maxsize=1)
def _name_pattern() -> tuple[re.Pattern, dict[str, Service]]:
    owner = {name: service for service in CATALOGUE for name in service.names}
    names = sorted(owner, key=len, reverse=True)  # longest first: "Redshift Spectrum" before "Redshift"
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")
    return pattern, owner


def mentions(text: str) -> list[tuple[Service, int, int]]:
    """Services named in `text` with the span of each mention, in reading order."""
    pattern, owner = _name_pattern()
    return [(owner[m.group(0)], m.start(), m.end()) for m in pattern.finditer(text)]


TERMS_FILE = DATA / "aws_terms.txt"


@lru_cache(maxsize=1)
def aws_terms() -> frozenset[str]:
    """AWS feature, component and mode names (bot/data/aws_terms.txt) and service names, as name keys."""
    lines = TERMS_FILE.read_text(encoding="utf-8").splitlines()
    names = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    names += load_service_names()
    names += [name for service in CATALOGUE for name in service.names]
    return frozenset(_term_key(n) for n in names if _term_key(n))


@lru_cache(maxsize=1)
def _service_keys() -> frozenset[str]:
    return frozenset(_term_key(name) for service in CATALOGUE for name in service.names)


def _term_key(text: str) -> str:
    """Lower-case words without vendor prefixes, brackets or a plural s: "Log streams" -> "log stream"."""
    text = re.sub(r"\([^)]*\)", " ", text)
    words = [w for w in re.findall(r"[a-z0-9@]+(?:[-/.][a-z0-9]+)*", text.lower()) if w not in VENDOR_WORDS]
    return " ".join(singular(w) for w in words)


def is_aws_term(option: str, context: str = "") -> bool:
    """An option names an AWS thing: a service, or a term of the glossary on its own or after a service the
    context names ("Rules" under an EventBridge heading is an EventBridge Rule)."""
    key, terms = _term_key(option), aws_terms()
    if not key:
        return False
    if key in terms or any(" ".join(words[:i]) in _service_keys() and " ".join(words[i:]) in terms
                           for words in [key.split()] for i in range(1, len(words))):
        return True  # "S3 Glacier Deep Archive": a service's name ("S3") before one of its terms
    prefixes = {_term_key(name) for service, _, _ in mentions(context) for name in service.names}
    heading_words = set(_term_key(context).split())  # "FULL" under "Vacuum …" is VACUUM FULL; "KEY" under
    # "Distribution Styles" is KEY Distribution
    return any(f"{prefix} {key}" in terms for prefix in prefixes | heading_words) or \
        any(f"{key} {word}" in terms for word in heading_words)


RETIRED_FILE = DATA / "retired.tsv"


@lru_cache(maxsize=1)
def retired_services() -> dict[str, str]:
    """Catalogue name -> when AWS discontinued the service (bot/data/retired.tsv)."""
    return read_table(RETIRED_FILE, lower=False)


def retired_in(text: str) -> str | None:
    """The first discontinued service that `text` names, as the catalogue spells it."""
    retired = retired_services()
    return next((service.name for service, _, _ in mentions(text) if service.name in retired), None)


# Services that answer the same broad need, so neither may be the wrong option when the other is right.
INTERCHANGEABLE = (
    {"Amazon RDS", "Amazon Aurora"},
    {"Amazon Kinesis Data Streams", "Amazon MSK"},
    {"AWS KMS", "AWS CloudHSM"},
    {"Amazon Athena", "Amazon Redshift Spectrum", "Amazon EMR"},
    {"Amazon EFS", "Amazon FSx"},
    {"Amazon CloudFront", "AWS Global Accelerator"},
    {"AWS Lambda", "AWS Fargate"},
    {"Amazon SNS", "Amazon MQ"},
    {"Amazon Data Firehose", "Amazon Managed Service for Apache Flink"},
    {"Amazon QuickSight", "Amazon OpenSearch Service", "Amazon Managed Grafana"},
    {"AWS Step Functions", "Amazon MWAA", "Amazon SWF"},
    {"Amazon ECS", "Amazon EKS", "AWS Fargate"},
    {"AWS IAM", "AWS IAM Identity Center"},
    {"AWS Secrets Manager", "AWS Systems Manager Parameter Store"},
    {"Amazon ElastiCache", "Amazon MemoryDB"},
    {"Amazon SQS", "Amazon MQ"},
    {"Amazon SNS", "Amazon EventBridge"},
    {"Amazon OpenSearch Service", "Amazon CloudWatch"},
)


def interchangeable(a: Service, b: Service) -> bool:
    """AWS offers both for the same broad need: neither may be a wrong option when the other is the answer."""
    return any(a.name in group and b.name in group for group in INTERCHANGEABLE)


def same_kind(service: Service) -> list[Service]:
    """Other services that answer the same kind of question, catalogue order."""
    wanted = {area for own in service.areas for area in AREA_GROUPS.get(own, (own,))}
    return [s for s in CATALOGUE if s is not service and wanted & set(s.areas)]
