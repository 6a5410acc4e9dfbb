#!/usr/bin/env python3
"""Check CloudEvents against the JSON Schemas in Shared/Contracts/asyncapi.yaml.

ContractsTests runs this script so that the Swift event types are checked by an independent
JSON Schema implementation (python-jsonschema), the way an ERP vendor's tooling would read the
document, rather than by code that shares the Swift types' assumptions.

Usage:
  validate_event.py TYPE < event.json      validate one event; exit 0 if valid, 1 with the errors
  validate_event.py --many TYPE < list.json validate a JSON array of events; print a JSON array
                                           with null (valid) or the error text for each
  validate_event.py --list-types           print the event type of every channel, one a line
  validate_event.py --examples TYPE        print the message examples' payloads as a JSON array
  validate_event.py --check-document       check the document itself (see check_document)
  --spec PATH                              another asyncapi.yaml than the repository's

Exit codes: 0 valid / done, 1 invalid, 2 usage or document error, 3 missing Python packages.
"""

import json
import sys
from pathlib import Path

try:
    import jsonschema
    import yaml
    from referencing import Registry, Resource  # ships with jsonschema 4.18 and later
    from referencing.jsonschema import DRAFT7
except ImportError as error:  # The test reports this as a failure, not a skip.
    print(
        f"missing Python package ({error.name}): run `python3 -m pip install jsonschema pyyaml`",
        file=sys.stderr,
    )
    sys.exit(3)

DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "Shared" / "Contracts" / "asyncapi.yaml"
DOCUMENT_URI = "urn:dealer-crm:asyncapi"
EXCHANGE = "crm.events"


class CheckError(Exception):
    """What stops a check: a broken document, an unknown event type, input that is not JSON."""


class Contract:
    """The asyncapi document, with `$ref`s resolved against the whole document as root."""

    def __init__(self, spec_path):
        with open(spec_path, encoding="utf-8") as file:
            self.document = yaml.safe_load(file)
        self.validator_class = jsonschema.Draft7Validator
        resource = Resource.from_contents(self.document, default_specification=DRAFT7)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)
        self.resolver = self.registry.resolver(base_uri=DOCUMENT_URI)

    def resolve(self, node):
        """Follows `$ref`s (possibly chained) until a node without one."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise CheckError(f"$ref cycle at {ref}")
            seen.add(ref)
            node = self.resolver.lookup(ref).contents
        return node

    def channels(self):
        return self.document.get("channels") or {}

    def operation(self, event_type):
        channel = self.channels().get(event_type)
        if channel is None:
            raise CheckError(f"no channel for event type {event_type!r} in asyncapi.yaml")
        operations = [channel[name] for name in ("publish", "subscribe") if name in channel]
        if len(operations) != 1:
            raise CheckError(f"channel {event_type} needs exactly one of publish/subscribe")
        return channel, operations[0]

    def message(self, event_type):
        _, operation = self.operation(event_type)
        return self.resolve(operation["message"])

    def message_pointer(self, event_type):
        """A `$ref` to the channel's message payload, so nested refs resolve in the document."""
        channel, operation = self.operation(event_type)
        message_ref = operation["message"].get("$ref")
        if message_ref is None:  # the message is written inline in the channel
            operation_name = "publish" if "publish" in channel else "subscribe"
            escaped = event_type.replace("~", "~0").replace("/", "~1")
            message_ref = f"#/channels/{escaped}/{operation_name}/message"
        return f"{DOCUMENT_URI}{message_ref}/payload"

    def validator(self, event_type):
        schema = {"$ref": self.message_pointer(event_type)}
        return self.validator_class(
            schema, registry=self.registry, format_checker=self.validator_class.FORMAT_CHECKER
        )

    def errors(self, event_type, event):
        """Every schema violation of `event`, as readable lines; empty when valid."""
        validator = self.validator(event_type)
        found = sorted(validator.iter_errors(event), key=lambda e: [str(part) for part in e.absolute_path])
        return [describe(error) for error in found]


def describe(error):
    """One line per violation, with the deepest failures of `anyOf`/`allOf` spelled out."""
    location = "/".join(str(part) for part in error.absolute_path) or "(event)"
    if error.context:
        causes = "; ".join(sorted({c.message for c in error.context}))
        return f"{location}: {error.message} ({causes})"
    return f"{location}: {error.message}"


def check_document(contract):
    """Problems in the document: what a human editor most easily gets wrong."""
    problems = []
    meta = contract.validator_class.META_SCHEMA
    for name, schema in (contract.document.get("components", {}).get("schemas") or {}).items():
        for error in contract.validator_class(meta).iter_errors(schema):
            problems.append(f"components/schemas/{name}: not a draft-07 schema: {error.message}")
    for event_type, channel in contract.channels().items():
        try:
            bindings = contract.resolve(channel.get("bindings") or {})
            amqp = contract.resolve(bindings.get("amqp") or {})
            if amqp.get("is") != "routingKey" or (amqp.get("exchange") or {}).get("name") != EXCHANGE:
                problems.append(f"{event_type}: channel binding must be a routing key on {EXCHANGE}")
            message = contract.message(event_type)
            if message.get("name") != event_type:
                problems.append(f"{event_type}: message name is {message.get('name')!r}")
            message_amqp = contract.resolve((message.get("bindings") or {}).get("amqp") or {})
            if message_amqp.get("messageType") != event_type:
                problems.append(f"{event_type}: amqp messageType is {message_amqp.get('messageType')!r}")
            if message.get("contentType") != "application/cloudevents+json":
                problems.append(f"{event_type}: contentType must be application/cloudevents+json")
            examples = message.get("examples") or []
            if not examples:
                problems.append(f"{event_type}: no example")
            for index, example in enumerate(examples):
                for line in contract.errors(event_type, example.get("payload")):
                    problems.append(f"{event_type}: example {index}: {line}")
            wrong_type = dict(examples[0]["payload"], type="nobody.nothing.happened.v1") if examples else None
            if wrong_type is not None and not contract.errors(event_type, wrong_type):
                problems.append(f"{event_type}: schema does not pin `type` to the event type")
        except (CheckError, KeyError, TypeError) as error:
            problems.append(f"{event_type}: {error}")
    return problems


def read_stdin_json():
    try:
        return json.load(sys.stdin)
    except json.JSONDecodeError as error:
        raise CheckError(f"stdin is not JSON: {error}")


def main(arguments):
    spec = DEFAULT_SPEC
    if "--spec" in arguments:
        index = arguments.index("--spec")
        spec = Path(arguments[index + 1])
        del arguments[index:index + 2]
    contract = Contract(spec)

    if arguments == ["--list-types"]:
        for event_type in contract.channels():
            print(event_type)
        return 0
    if len(arguments) == 2 and arguments[0] == "--examples":
        examples = contract.message(arguments[1]).get("examples") or []
        json.dump([example["payload"] for example in examples], sys.stdout, ensure_ascii=False)
        return 0
    if arguments == ["--check-document"]:
        problems = check_document(contract)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    if len(arguments) == 2 and arguments[0] == "--many":
        events = read_stdin_json()
        results = []
        for event in events:
            errors = contract.errors(arguments[1], event)
            results.append("\n".join(errors) if errors else None)
        json.dump(results, sys.stdout, ensure_ascii=False)
        return 0
    if len(arguments) == 1 and not arguments[0].startswith("-"):
        errors = contract.errors(arguments[0], read_stdin_json())
        for line in errors:
            print(line, file=sys.stderr)
        return 1 if errors else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    # Events and errors hold Chinese text: UTF-8 whatever the locale says.
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8")
    try:
        sys.exit(main(sys.argv[1:]))
    except CheckError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
