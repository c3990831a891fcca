import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DataType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATA_TYPE_UNSPECIFIED: _ClassVar[DataType]
    DATA_TYPE_FLOAT32: _ClassVar[DataType]
    DATA_TYPE_FLOAT64: _ClassVar[DataType]
    DATA_TYPE_INT64: _ClassVar[DataType]
    DATA_TYPE_BOOL: _ClassVar[DataType]
    DATA_TYPE_INT32: _ClassVar[DataType]
    DATA_TYPE_INT16: _ClassVar[DataType]
    DATA_TYPE_INT8: _ClassVar[DataType]
    DATA_TYPE_UINT8: _ClassVar[DataType]

class PauseKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAUSE_KIND_UNSPECIFIED: _ClassVar[PauseKind]
    PAUSE_KIND_TENSOR_HOOK: _ClassVar[PauseKind]
    PAUSE_KIND_POST_ACCUMULATE_GRAD_HOOK: _ClassVar[PauseKind]
    PAUSE_KIND_FUNCTION_BACKWARD: _ClassVar[PauseKind]
    PAUSE_KIND_NODE_PRE_HOOK: _ClassVar[PauseKind]
    PAUSE_KIND_NODE_POST_HOOK: _ClassVar[PauseKind]

class NodeHook(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_HOOK_UNSPECIFIED: _ClassVar[NodeHook]
    NODE_HOOK_PRE: _ClassVar[NodeHook]
    NODE_HOOK_POST: _ClassVar[NodeHook]
DATA_TYPE_UNSPECIFIED: DataType
DATA_TYPE_FLOAT32: DataType
DATA_TYPE_FLOAT64: DataType
DATA_TYPE_INT64: DataType
DATA_TYPE_BOOL: DataType
DATA_TYPE_INT32: DataType
DATA_TYPE_INT16: DataType
DATA_TYPE_INT8: DataType
DATA_TYPE_UINT8: DataType
PAUSE_KIND_UNSPECIFIED: PauseKind
PAUSE_KIND_TENSOR_HOOK: PauseKind
PAUSE_KIND_POST_ACCUMULATE_GRAD_HOOK: PauseKind
PAUSE_KIND_FUNCTION_BACKWARD: PauseKind
PAUSE_KIND_NODE_PRE_HOOK: PauseKind
PAUSE_KIND_NODE_POST_HOOK: PauseKind
NODE_HOOK_UNSPECIFIED: NodeHook
NODE_HOOK_PRE: NodeHook
NODE_HOOK_POST: NodeHook

class TensorValue(_message.Message):
    __slots__ = ("dtype", "shape", "data")
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    dtype: DataType
    shape: _containers.RepeatedScalarFieldContainer[int]
    data: bytes
    def __init__(self, dtype: _Optional[_Union[DataType, str]] = ..., shape: _Optional[_Iterable[int]] = ..., data: _Optional[bytes] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("keep_alive_timeout",)
    KEEP_ALIVE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    keep_alive_timeout: _duration_pb2.Duration
    def __init__(self, keep_alive_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CreateSessionResponse(_message.Message):
    __slots__ = ("keep_alive_timeout",)
    KEEP_ALIVE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    keep_alive_timeout: _duration_pb2.Duration
    def __init__(self, keep_alive_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class KeepAliveRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class KeepAliveResponse(_message.Message):
    __slots__ = ("handle_count",)
    HANDLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    handle_count: int
    def __init__(self, handle_count: _Optional[int] = ...) -> None: ...

class CloseSessionRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CloseSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExecuteRequest(_message.Message):
    __slots__ = ("operations", "fetches")
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    FETCHES_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[Operation]
    fetches: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, operations: _Optional[_Iterable[_Union[Operation, _Mapping]]] = ..., fetches: _Optional[_Iterable[int]] = ...) -> None: ...

class ExecuteResponse(_message.Message):
    __slots__ = ("values", "pause")
    VALUES_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[TensorValue]
    pause: Pause
    def __init__(self, values: _Optional[_Iterable[_Union[TensorValue, _Mapping]]] = ..., pause: _Optional[_Union[Pause, _Mapping]] = ...) -> None: ...

class Pause(_message.Message):
    __slots__ = ("kind", "key", "grads", "operation_index", "pass_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    GRADS_FIELD_NUMBER: _ClassVar[int]
    OPERATION_INDEX_FIELD_NUMBER: _ClassVar[int]
    PASS_ID_FIELD_NUMBER: _ClassVar[int]
    kind: PauseKind
    key: int
    grads: _containers.RepeatedScalarFieldContainer[int]
    operation_index: int
    pass_id: int
    def __init__(self, kind: _Optional[_Union[PauseKind, str]] = ..., key: _Optional[int] = ..., grads: _Optional[_Iterable[int]] = ..., operation_index: _Optional[int] = ..., pass_id: _Optional[int] = ...) -> None: ...

class ExecuteStreamRequest(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: ExecuteRequest
    def __init__(self, batch: _Optional[_Union[ExecuteRequest, _Mapping]] = ...) -> None: ...

class ExecuteStreamResponse(_message.Message):
    __slots__ = ("result", "error")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    result: ExecuteResponse
    error: ExecuteError
    def __init__(self, result: _Optional[_Union[ExecuteResponse, _Mapping]] = ..., error: _Optional[_Union[ExecuteError, _Mapping]] = ...) -> None: ...

class ExecuteError(_message.Message):
    __slots__ = ("code", "message", "reason", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    reason: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., reason: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Operation(_message.Message):
    __slots__ = ("upload", "factory", "call", "backward", "grad", "bind_grad", "set_grad", "zero", "copy", "set_requires_grad", "detach", "retain_grad", "release", "manual_seed", "set_default_dtype", "optimizer_step", "hook", "function", "resume")
    UPLOAD_FIELD_NUMBER: _ClassVar[int]
    FACTORY_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    BACKWARD_FIELD_NUMBER: _ClassVar[int]
    GRAD_FIELD_NUMBER: _ClassVar[int]
    BIND_GRAD_FIELD_NUMBER: _ClassVar[int]
    SET_GRAD_FIELD_NUMBER: _ClassVar[int]
    ZERO_FIELD_NUMBER: _ClassVar[int]
    COPY_FIELD_NUMBER: _ClassVar[int]
    SET_REQUIRES_GRAD_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    RETAIN_GRAD_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    MANUAL_SEED_FIELD_NUMBER: _ClassVar[int]
    SET_DEFAULT_DTYPE_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_STEP_FIELD_NUMBER: _ClassVar[int]
    HOOK_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    RESUME_FIELD_NUMBER: _ClassVar[int]
    upload: UploadOperation
    factory: FactoryOperation
    call: CallOperation
    backward: BackwardOperation
    grad: GradOperation
    bind_grad: BindGradOperation
    set_grad: SetGradOperation
    zero: ZeroOperation
    copy: CopyOperation
    set_requires_grad: SetRequiresGradOperation
    detach: DetachOperation
    retain_grad: RetainGradOperation
    release: ReleaseOperation
    manual_seed: ManualSeedOperation
    set_default_dtype: SetDefaultDtypeOperation
    optimizer_step: OptimizerStepOperation
    hook: HookOperation
    function: FunctionOperation
    resume: ResumeOperation
    def __init__(self, upload: _Optional[_Union[UploadOperation, _Mapping]] = ..., factory: _Optional[_Union[FactoryOperation, _Mapping]] = ..., call: _Optional[_Union[CallOperation, _Mapping]] = ..., backward: _Optional[_Union[BackwardOperation, _Mapping]] = ..., grad: _Optional[_Union[GradOperation, _Mapping]] = ..., bind_grad: _Optional[_Union[BindGradOperation, _Mapping]] = ..., set_grad: _Optional[_Union[SetGradOperation, _Mapping]] = ..., zero: _Optional[_Union[ZeroOperation, _Mapping]] = ..., copy: _Optional[_Union[CopyOperation, _Mapping]] = ..., set_requires_grad: _Optional[_Union[SetRequiresGradOperation, _Mapping]] = ..., detach: _Optional[_Union[DetachOperation, _Mapping]] = ..., retain_grad: _Optional[_Union[RetainGradOperation, _Mapping]] = ..., release: _Optional[_Union[ReleaseOperation, _Mapping]] = ..., manual_seed: _Optional[_Union[ManualSeedOperation, _Mapping]] = ..., set_default_dtype: _Optional[_Union[SetDefaultDtypeOperation, _Mapping]] = ..., optimizer_step: _Optional[_Union[OptimizerStepOperation, _Mapping]] = ..., hook: _Optional[_Union[HookOperation, _Mapping]] = ..., function: _Optional[_Union[FunctionOperation, _Mapping]] = ..., resume: _Optional[_Union[ResumeOperation, _Mapping]] = ...) -> None: ...

class UploadOperation(_message.Message):
    __slots__ = ("output", "value", "requires_grad")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_GRAD_FIELD_NUMBER: _ClassVar[int]
    output: int
    value: TensorValue
    requires_grad: bool
    def __init__(self, output: _Optional[int] = ..., value: _Optional[_Union[TensorValue, _Mapping]] = ..., requires_grad: _Optional[bool] = ...) -> None: ...

class FactoryOperation(_message.Message):
    __slots__ = ("output", "factory", "shape", "dtype", "fill_value", "requires_grad", "start", "step", "end", "low", "high")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FACTORY_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    FILL_VALUE_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_GRAD_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    output: int
    factory: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    dtype: DataType
    fill_value: float
    requires_grad: bool
    start: float
    step: float
    end: float
    low: int
    high: int
    def __init__(self, output: _Optional[int] = ..., factory: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ..., dtype: _Optional[_Union[DataType, str]] = ..., fill_value: _Optional[float] = ..., requires_grad: _Optional[bool] = ..., start: _Optional[float] = ..., step: _Optional[float] = ..., end: _Optional[float] = ..., low: _Optional[int] = ..., high: _Optional[int] = ...) -> None: ...

class Operand(_message.Message):
    __slots__ = ("handle", "float_value", "int_value", "bool_value")
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    FLOAT_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    handle: int
    float_value: float
    int_value: int
    bool_value: bool
    def __init__(self, handle: _Optional[int] = ..., float_value: _Optional[float] = ..., int_value: _Optional[int] = ..., bool_value: _Optional[bool] = ...) -> None: ...

class IntList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, values: _Optional[_Iterable[int]] = ...) -> None: ...

class AttrValue(_message.Message):
    __slots__ = ("int_value", "float_value", "bool_value", "string_value", "int_list")
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    FLOAT_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_LIST_FIELD_NUMBER: _ClassVar[int]
    int_value: int
    float_value: float
    bool_value: bool
    string_value: str
    int_list: IntList
    def __init__(self, int_value: _Optional[int] = ..., float_value: _Optional[float] = ..., bool_value: _Optional[bool] = ..., string_value: _Optional[str] = ..., int_list: _Optional[_Union[IntList, _Mapping]] = ...) -> None: ...

class CallOperation(_message.Message):
    __slots__ = ("op", "inputs", "attrs", "output", "no_grad")
    class AttrsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AttrValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AttrValue, _Mapping]] = ...) -> None: ...
    OP_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    ATTRS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    NO_GRAD_FIELD_NUMBER: _ClassVar[int]
    op: str
    inputs: _containers.RepeatedCompositeFieldContainer[Operand]
    attrs: _containers.MessageMap[str, AttrValue]
    output: int
    no_grad: bool
    def __init__(self, op: _Optional[str] = ..., inputs: _Optional[_Iterable[_Union[Operand, _Mapping]]] = ..., attrs: _Optional[_Mapping[str, AttrValue]] = ..., output: _Optional[int] = ..., no_grad: _Optional[bool] = ...) -> None: ...

class BackwardOperation(_message.Message):
    __slots__ = ("roots", "grad_outputs", "retain_graph", "inputs", "create_graph", "hook_keys")
    ROOTS_FIELD_NUMBER: _ClassVar[int]
    GRAD_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    RETAIN_GRAPH_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_GRAPH_FIELD_NUMBER: _ClassVar[int]
    HOOK_KEYS_FIELD_NUMBER: _ClassVar[int]
    roots: _containers.RepeatedScalarFieldContainer[int]
    grad_outputs: _containers.RepeatedScalarFieldContainer[int]
    retain_graph: bool
    inputs: _containers.RepeatedScalarFieldContainer[int]
    create_graph: bool
    hook_keys: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, roots: _Optional[_Iterable[int]] = ..., grad_outputs: _Optional[_Iterable[int]] = ..., retain_graph: _Optional[bool] = ..., inputs: _Optional[_Iterable[int]] = ..., create_graph: _Optional[bool] = ..., hook_keys: _Optional[_Iterable[int]] = ...) -> None: ...

class GradOperation(_message.Message):
    __slots__ = ("outputs", "inputs", "grad_outputs", "retain_graph", "allow_unused", "results", "create_graph", "hook_keys")
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    GRAD_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    RETAIN_GRAPH_FIELD_NUMBER: _ClassVar[int]
    ALLOW_UNUSED_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_GRAPH_FIELD_NUMBER: _ClassVar[int]
    HOOK_KEYS_FIELD_NUMBER: _ClassVar[int]
    outputs: _containers.RepeatedScalarFieldContainer[int]
    inputs: _containers.RepeatedScalarFieldContainer[int]
    grad_outputs: _containers.RepeatedScalarFieldContainer[int]
    retain_graph: bool
    allow_unused: bool
    results: _containers.RepeatedScalarFieldContainer[int]
    create_graph: bool
    hook_keys: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, outputs: _Optional[_Iterable[int]] = ..., inputs: _Optional[_Iterable[int]] = ..., grad_outputs: _Optional[_Iterable[int]] = ..., retain_graph: _Optional[bool] = ..., allow_unused: _Optional[bool] = ..., results: _Optional[_Iterable[int]] = ..., create_graph: _Optional[bool] = ..., hook_keys: _Optional[_Iterable[int]] = ...) -> None: ...

class BindGradOperation(_message.Message):
    __slots__ = ("tensor", "output")
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    tensor: int
    output: int
    def __init__(self, tensor: _Optional[int] = ..., output: _Optional[int] = ...) -> None: ...

class SetGradOperation(_message.Message):
    __slots__ = ("tensor", "grad")
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    GRAD_FIELD_NUMBER: _ClassVar[int]
    tensor: int
    grad: int
    def __init__(self, tensor: _Optional[int] = ..., grad: _Optional[int] = ...) -> None: ...

class ZeroOperation(_message.Message):
    __slots__ = ("tensor", "no_grad")
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    NO_GRAD_FIELD_NUMBER: _ClassVar[int]
    tensor: int
    no_grad: bool
    def __init__(self, tensor: _Optional[int] = ..., no_grad: _Optional[bool] = ...) -> None: ...

class CopyOperation(_message.Message):
    __slots__ = ("target", "source", "no_grad", "adopt_history", "adopt_view")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    NO_GRAD_FIELD_NUMBER: _ClassVar[int]
    ADOPT_HISTORY_FIELD_NUMBER: _ClassVar[int]
    ADOPT_VIEW_FIELD_NUMBER: _ClassVar[int]
    target: int
    source: int
    no_grad: bool
    adopt_history: bool
    adopt_view: bool
    def __init__(self, target: _Optional[int] = ..., source: _Optional[int] = ..., no_grad: _Optional[bool] = ..., adopt_history: _Optional[bool] = ..., adopt_view: _Optional[bool] = ...) -> None: ...

class SetRequiresGradOperation(_message.Message):
    __slots__ = ("tensor", "requires_grad")
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_GRAD_FIELD_NUMBER: _ClassVar[int]
    tensor: int
    requires_grad: bool
    def __init__(self, tensor: _Optional[int] = ..., requires_grad: _Optional[bool] = ...) -> None: ...

class DetachOperation(_message.Message):
    __slots__ = ("tensor", "output", "new_version_counter", "in_place")
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    NEW_VERSION_COUNTER_FIELD_NUMBER: _ClassVar[int]
    IN_PLACE_FIELD_NUMBER: _ClassVar[int]
    tensor: int
    output: int
    new_version_counter: bool
    in_place: bool
    def __init__(self, tensor: _Optional[int] = ..., output: _Optional[int] = ..., new_version_counter: _Optional[bool] = ..., in_place: _Optional[bool] = ...) -> None: ...

class RetainGradOperation(_message.Message):
    __slots__ = ("tensor",)
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    tensor: int
    def __init__(self, tensor: _Optional[int] = ...) -> None: ...

class ReleaseOperation(_message.Message):
    __slots__ = ("handles",)
    HANDLES_FIELD_NUMBER: _ClassVar[int]
    handles: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, handles: _Optional[_Iterable[int]] = ...) -> None: ...

class ManualSeedOperation(_message.Message):
    __slots__ = ("seed",)
    SEED_FIELD_NUMBER: _ClassVar[int]
    seed: int
    def __init__(self, seed: _Optional[int] = ...) -> None: ...

class SetDefaultDtypeOperation(_message.Message):
    __slots__ = ("dtype",)
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    dtype: DataType
    def __init__(self, dtype: _Optional[_Union[DataType, str]] = ...) -> None: ...

class OptimizerStepOperation(_message.Message):
    __slots__ = ("algorithm", "params", "state", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AttrValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AttrValue, _Mapping]] = ...) -> None: ...
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    algorithm: str
    params: _containers.RepeatedScalarFieldContainer[int]
    state: _containers.RepeatedScalarFieldContainer[int]
    options: _containers.MessageMap[str, AttrValue]
    def __init__(self, algorithm: _Optional[str] = ..., params: _Optional[_Iterable[int]] = ..., state: _Optional[_Iterable[int]] = ..., options: _Optional[_Mapping[str, AttrValue]] = ...) -> None: ...

class HookOperation(_message.Message):
    __slots__ = ("tensor", "key", "post_accumulate_grad", "node_hook", "node")
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    POST_ACCUMULATE_GRAD_FIELD_NUMBER: _ClassVar[int]
    NODE_HOOK_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    tensor: int
    key: int
    post_accumulate_grad: bool
    node_hook: NodeHook
    node: int
    def __init__(self, tensor: _Optional[int] = ..., key: _Optional[int] = ..., post_accumulate_grad: _Optional[bool] = ..., node_hook: _Optional[_Union[NodeHook, str]] = ..., node: _Optional[int] = ...) -> None: ...

class FunctionOperation(_message.Message):
    __slots__ = ("name", "key", "inputs", "outputs", "differentiable", "saves_tensors")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    DIFFERENTIABLE_FIELD_NUMBER: _ClassVar[int]
    SAVES_TENSORS_FIELD_NUMBER: _ClassVar[int]
    name: str
    key: int
    inputs: _containers.RepeatedScalarFieldContainer[int]
    outputs: _containers.RepeatedScalarFieldContainer[int]
    differentiable: _containers.RepeatedScalarFieldContainer[bool]
    saves_tensors: bool
    def __init__(self, name: _Optional[str] = ..., key: _Optional[int] = ..., inputs: _Optional[_Iterable[int]] = ..., outputs: _Optional[_Iterable[int]] = ..., differentiable: _Optional[_Iterable[bool]] = ..., saves_tensors: _Optional[bool] = ...) -> None: ...

class ResumeOperation(_message.Message):
    __slots__ = ("grads", "abandon", "pass_id")
    GRADS_FIELD_NUMBER: _ClassVar[int]
    ABANDON_FIELD_NUMBER: _ClassVar[int]
    PASS_ID_FIELD_NUMBER: _ClassVar[int]
    grads: _containers.RepeatedScalarFieldContainer[int]
    abandon: bool
    pass_id: int
    def __init__(self, grads: _Optional[_Iterable[int]] = ..., abandon: _Optional[bool] = ..., pass_id: _Optional[int] = ...) -> None: ...

class ListOpsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListOpsResponse(_message.Message):
    __slots__ = ("ops",)
    OPS_FIELD_NUMBER: _ClassVar[int]
    ops: _containers.RepeatedCompositeFieldContainer[OpInfo]
    def __init__(self, ops: _Optional[_Iterable[_Union[OpInfo, _Mapping]]] = ...) -> None: ...

class OpInfo(_message.Message):
    __slots__ = ("name", "torch_name", "grad_fn", "arity", "attrs", "differentiable", "doc", "variadic", "optional_inputs")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TORCH_NAME_FIELD_NUMBER: _ClassVar[int]
    GRAD_FN_FIELD_NUMBER: _ClassVar[int]
    ARITY_FIELD_NUMBER: _ClassVar[int]
    ATTRS_FIELD_NUMBER: _ClassVar[int]
    DIFFERENTIABLE_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    VARIADIC_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_INPUTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    torch_name: str
    grad_fn: str
    arity: int
    attrs: _containers.RepeatedCompositeFieldContainer[AttrInfo]
    differentiable: _containers.RepeatedScalarFieldContainer[bool]
    doc: str
    variadic: bool
    optional_inputs: int
    def __init__(self, name: _Optional[str] = ..., torch_name: _Optional[str] = ..., grad_fn: _Optional[str] = ..., arity: _Optional[int] = ..., attrs: _Optional[_Iterable[_Union[AttrInfo, _Mapping]]] = ..., differentiable: _Optional[_Iterable[bool]] = ..., doc: _Optional[str] = ..., variadic: _Optional[bool] = ..., optional_inputs: _Optional[int] = ...) -> None: ...

class AttrInfo(_message.Message):
    __slots__ = ("name", "type", "optional", "doc")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    optional: bool
    doc: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., optional: _Optional[bool] = ..., doc: _Optional[str] = ...) -> None: ...
