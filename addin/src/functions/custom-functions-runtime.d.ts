/**
 * The part of Excel's custom functions runtime (the `CustomFunctions` global of the shared
 * runtime) that OfficeLLM uses. The package @types/custom-functions-runtime is not a dependency;
 * if it is ever added, delete this file.
 */
declare namespace CustomFunctions {
  /** The error values a custom function can return; messages show for #VALUE! and #N/A. */
  type ErrorCode =
    | "#VALUE!"
    | "#N/A"
    | "#DIV/0!"
    | "#NUM!"
    | "#NULL!"
    | "#NAME?"
    | "#REF!"
    | "#BUSY!"
    | "#CALC!"
    | "#CONNECT!"
    | "#FIELD!"
    | "#GETTING_DATA"
    | "#SPILL!";

  class Error {
    constructor(errorCode: ErrorCode, errorMessage?: string);
    code: ErrorCode;
    message?: string;
  }

  interface Invocation {
    /** The calling cell's address, when the function asks for it (@requiresAddress). */
    address?: string;
    functionName?: string;
    /** True while Excel evaluates the formula only to preview its value while it is edited. */
    isInValuePreview?: boolean;
    parameterAddresses?: string[];
  }

  interface CancelableInvocation extends Invocation {
    /** Set by the function; Excel calls it when the result is no longer wanted. */
    onCanceled: () => void;
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  function associate(id: string, functionObject: Function): void;
}
