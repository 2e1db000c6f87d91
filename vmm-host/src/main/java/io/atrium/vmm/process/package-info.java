/**
 * The one way vmm-host runs a short host tool: {@link io.atrium.vmm.process.ProcessRunner} with a
 * {@link io.atrium.vmm.process.Command}; output read while it runs, bounded, and a timeout that
 * kills the tool and what it started. Depends only on the root package.
 */
package io.atrium.vmm.process;
