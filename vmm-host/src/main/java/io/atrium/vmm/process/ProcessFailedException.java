package io.atrium.vmm.process;

import io.atrium.vmm.VmmException;

/** A command exited with a status other than 0. The message ends with what it wrote (the tail). */
public final class ProcessFailedException extends VmmException {

    private final transient ProcessResult result;

    ProcessFailedException(ProcessResult result) {
        super(result.command().display() + " failed (exit " + result.exitCode() + ")"
                + ProcessRunner.excerpt(result.detail()));
        this.result = result;
    }

    public ProcessResult result() {
        return result;
    }

    public int exitCode() {
        return result.exitCode();
    }
}
