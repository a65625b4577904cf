"""Visitor and Transformer over the tree, in the manner of libcst.

``visit_<Class>(node)`` is called before a node's children (return False to skip them);
``leave_<Class>(original, updated)`` after them, and a Transformer's ``leave_`` returns the node
that replaces ``original`` (``updated`` has the transformed children). Method lookup follows the
class hierarchy, so ``visit_Instruction`` sees every instruction and ``visit_Run`` only RUNs.
"""

from __future__ import annotations

import dataclasses

from dockeropt.syntax.nodes import Node


def _method(obj, prefix: str, node: Node):
    for cls in type(node).__mro__:
        fn = getattr(obj, prefix + cls.__name__, None)
        if fn is not None:
            return fn
    return None


class Visitor:
    def walk(self, node: Node) -> None:
        visit = _method(self, "visit_", node)
        if visit is None or visit(node) is not False:
            for child in node.children():
                self.walk(child)
        leave = _method(self, "leave_", node)
        if leave is not None:
            leave(node)


class Transformer:
    def transform(self, node: Node) -> Node:
        visit = _method(self, "visit_", node)
        updated = node
        if visit is None or visit(node) is not False:
            changes = {}
            for f in dataclasses.fields(node):
                value = getattr(node, f.name)
                if isinstance(value, Node):
                    new = self.transform(value)
                    if new is not value:
                        changes[f.name] = new
                elif isinstance(value, tuple) and any(isinstance(v, Node) for v in value):
                    new_items = tuple(self.transform(v) if isinstance(v, Node) else v for v in value)
                    if any(a is not b for a, b in zip(new_items, value)):
                        changes[f.name] = new_items
            if changes:
                updated = node.with_changes(**changes)
        leave = _method(self, "leave_", node)
        return leave(node, updated) if leave is not None else updated
