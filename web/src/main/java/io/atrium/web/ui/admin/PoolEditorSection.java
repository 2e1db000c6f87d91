package io.atrium.web.ui.admin;

import com.vaadin.flow.component.Component;
import io.atrium.broker.pool.Pool;

/**
 * A part of the pool editor whose settings live in a feature's own table (keyed by the pool), so the pool form
 * stays one form for the administrator: its fields sit in the dialog, are checked before the pool is saved, and are
 * saved with the pool's id afterwards.
 */
interface PoolEditorSection {

    /** The section's fields. */
    Component component();

    /** Checks the input, showing each error at its field; false stops the save. */
    boolean validate();

    /**
     * Saves the section for the pool just created or updated.
     *
     * @return null, or a message for the administrator when it could not be saved
     */
    String save(Pool saved);
}
