"""gradrpc.v1: the protobuf contract and its generated code."""
