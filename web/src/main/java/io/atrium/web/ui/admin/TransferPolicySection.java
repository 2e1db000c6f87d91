package io.atrium.web.ui.admin;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.formlayout.FormLayout;
import com.vaadin.flow.component.html.H4;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.IntegerField;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.broker.transfer.TransferPolicy;
import io.atrium.broker.transfer.TransferPolicy.ClipboardMode;
import io.atrium.broker.transfer.TransferPolicy.FileMode;
import io.atrium.broker.transfer.TransferPolicyService;
import io.atrium.broker.transfer.TransferPolicyService.TransferPolicyInput;

import java.util.List;

/**
 * The pool editor's "Clipboard and files" section: which way clipboard text and files may go, and how large they may
 * be ({@link TransferPolicyService}; fields {@code #pool-clipboard}, {@code #pool-clipboard-max} in KiB,
 * {@code #pool-files}, {@code #pool-file-max} in MiB).
 */
final class TransferPolicySection implements PoolEditorSection {
    private final TransferPolicyService policies;
    private final Select<ClipboardMode> clipboard = new Select<>();
    private final IntegerField clipboardMax = new IntegerField("Largest clipboard text (KiB)");
    private final Select<FileMode> files = new Select<>();
    private final IntegerField fileMax = new IntegerField("Largest file (MiB)");
    private final VerticalLayout layout;

    TransferPolicySection(TransferPolicyService policies, Pool existing) {
        this.policies = policies;
        clipboard.setLabel("Clipboard");
        clipboard.setItems(ClipboardMode.values());
        clipboard.setItemLabelGenerator(m -> switch (m) {
            case BOTH -> "both ways";
            case GUEST_TO_BROWSER -> "desktop → browser only";
            case BROWSER_TO_GUEST -> "browser → desktop only";
            case NONE -> "none";
        });
        files.setLabel("Files");
        files.setItems(FileMode.values());
        files.setItemLabelGenerator(m -> switch (m) {
            case BOTH -> "upload and download";
            case UPLOAD -> "upload only";
            case DOWNLOAD -> "download only";
            case NONE -> "none";
        });
        clipboard.setId("pool-clipboard");
        clipboardMax.setId("pool-clipboard-max");
        files.setId("pool-files");
        fileMax.setId("pool-file-max");
        clipboardMax.setMin(0);
        clipboardMax.setMax(TransferPolicy.MAX_CLIPBOARD_BYTES / 1024);
        fileMax.setMin(1);
        fileMax.setMax((int) (TransferPolicy.MAX_FILE_BYTES >> 20));
        TransferPolicy p = TransferPolicy.DEFAULT;
        if (existing != null) {
            try {
                p = policies.policy(existing.id());
            } catch (BrokerException ignored) {
                // shown with the defaults
            }
        }
        clipboard.setValue(p.clipboard());
        clipboardMax.setValue(p.clipboardMaxBytes() / 1024);
        files.setValue(p.files());
        fileMax.setValue((int) Math.max(1, p.fileMaxBytes() >> 20));
        FormLayout form = new FormLayout(clipboard, clipboardMax, files, fileMax);
        layout = new VerticalLayout(new H4("Clipboard and files"), form);
        layout.setPadding(false);
        layout.setSpacing(false);
    }

    @Override
    public Component component() {
        return layout;
    }

    private TransferPolicyInput input() {
        return new TransferPolicyInput(clipboard.getValue() == null ? null : clipboard.getValue().name(),
                clipboardMax.getValue() == null ? null : clipboardMax.getValue() * 1024,
                files.getValue() == null ? null : files.getValue().name(),
                fileMax.getValue() == null ? null : (long) fileMax.getValue() << 20);
    }

    @Override
    public void clearErrors() {
        for (com.vaadin.flow.component.HasValidation f : List.of(clipboard, clipboardMax, files, fileMax)) {
            f.setInvalid(false);
            f.setErrorMessage(null);
        }
    }

    @Override
    public boolean validate(Pool existing, PoolSpec pool) {
        try {
            TransferPolicyService.validate(input());
            return true;
        } catch (InvalidInputException e) {
            showErrors(e);
            return false;
        }
    }

    @Override
    public void save(String poolId) {
        policies.update(poolId, input());
    }

    @Override
    public boolean showErrors(InvalidInputException e) {
        return show(e);
    }

    private boolean show(InvalidInputException e) {
        boolean mine = false;
        for (var error : e.fieldErrors().entrySet()) {
            String field = error.getKey();
            String message = error.getValue();
            com.vaadin.flow.component.HasValidation f = switch (field) {
                case "clipboard" -> clipboard;
                case "clipboardMaxBytes" -> clipboardMax;
                case "files" -> files;
                case "fileMaxBytes" -> fileMax;
                default -> null;
            };
            if (f != null) {
                f.setErrorMessage(message);
                f.setInvalid(true);
                mine = true;
            }
        }
        return mine;
    }
}
