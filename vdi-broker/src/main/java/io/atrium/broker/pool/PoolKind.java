package io.atrium.broker.pool;

/** How desktops of a pool are kept between users. */
public enum PoolKind {
    /** Non-persistent: the desktop returns to a clean state when its user logs off. */
    POOLED,
    /** A dedicated desktop assigned to one user on first use; it keeps its disk. */
    PERSONAL
}
