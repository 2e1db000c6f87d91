package io.atrium.web.ui.admin;

import com.vaadin.flow.component.Component;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolSpec;

/**
 * A part of the pool editor that belongs to one feature, whose settings live in that feature's own table and service
 * (the network, …), so that the pool form stays one form. {@link PoolEditor} shows each section below the pool's own
 * fields, validates them all before it saves, and stores them with the pool: for a new pool before it is
 * provisioned ({@code PoolAdminService.create(spec, beforeProvisioning)}), so its first desktops already get them.
 */
interface PoolEditorSection {

    /** What goes into the editor. */
    Component component();

    /** Clears the section's error marks. */
    void clearErrors();

    /**
     * Checks the section's input for the pool about to be saved (its service validates); marks each bad field.
     *
     * @param existing the pool being edited, or null for a new one
     * @param pool     what the pool's own fields say now
     * @return whether everything is fine
     */
    boolean validate(Pool existing, PoolSpec pool);

    /**
     * Stores the section's settings for the pool.
     *
     * @throws InvalidInputException naming the section's fields (shown by {@link #showErrors})
     */
    void save(String poolId);

    /** Marks the fields {@code e} names; whether any of them was this section's. */
    boolean showErrors(InvalidInputException e);
}
