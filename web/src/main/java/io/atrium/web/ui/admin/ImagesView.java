package io.atrium.web.ui.admin;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Pre;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.progressbar.ProgressBar;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.component.upload.Upload;
import com.vaadin.flow.component.upload.UploadFormat;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.router.RouteParameters;
import com.vaadin.flow.router.RouterLink;
import com.vaadin.flow.server.streams.UploadEvent;
import com.vaadin.flow.shared.Registration;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.image.Image;
import io.atrium.broker.image.ImageLibraryService;
import io.atrium.broker.image.ImageLibraryService.ImageSummary;
import io.atrium.broker.image.ImageVersion;
import io.atrium.broker.image.VersionState;
import io.atrium.web.ui.MainLayout;
import jakarta.annotation.security.RolesAllowed;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Admin → Images: the image library. Per image its versions (state, how it was made, firmware, whether its desktops
 * can only be cold-booted, the pools that use it) with their actions (seal, mark sealed, boot test again, edit as a
 * draft, open a draft's console, retire, log), an upload with a progress bar, and an installation from an uploaded
 * ISO.
 *
 * <p>The upload is Vaadin's {@link Upload} in raw format with an upload handler that streams the request body
 * through {@link ImageLibraryService#receive} to the host's staging file (never into memory); the quota is
 * enforced while receiving; a progress listener (counting what passes) moves {@code #image-upload-progress}. Every
 * action goes through {@link ImageLibraryService}, which checks {@code ROLE_ADMIN} itself.
 */
@Route(value = "admin/images", layout = MainLayout.class)
@PageTitle("Images · Atrium")
@RolesAllowed("ADMIN")
public class ImagesView extends VerticalLayout {
    private final ImageLibraryService library;
    private final Div images = new Div();
    private final ProgressBar progress = new ProgressBar(0, 1);
    private final Span progressText = new Span();
    private final Span uploadError = new Span();
    /** What the next upload is, as the form says (read on the upload's request thread, never a component). */
    private final AtomicReference<UploadChoice> choice = new AtomicReference<>();
    private Registration poll;
    private String shown = "";

    private record UploadChoice(String imageId, String format, String firmware, Integer memoryMb, boolean autoSeal) {
    }

    public ImagesView(ImageLibraryService library) {
        this.library = library;
        setId("images-view");
        images.setId("image-list");
        images.getStyle().set("display", "flex").set("flex-direction", "column").set("gap", "var(--lumo-space-l)")
                .set("width", "100%");
        add(new H1("Images"), new Paragraph("Golden images and their versions. An upload (qcow2, raw, vmdk or an "
                + "ISO) is validated on the host before anything else reads it, converted, sealed through the QEMU "
                + "guest agent and boot-tested; a ready version can then be published to pools from their page."),
                createForm(), uploadForm(), images);
        refresh();
    }

    // ------------------------------------------------------------------ forms

    private Component createForm() {
        TextField name = new TextField("New image");
        name.setId("image-name");
        name.setPlaceholder("e.g. debian-desktop");
        TextField description = new TextField("Description");
        description.setId("image-description");
        Button create = new Button("Create image", e -> {
            name.setInvalid(false);
            try {
                Image image = library.createImage(name.getValue(), description.getValue());
                Notification.show("Image " + image.name() + " created").addThemeVariants(NotificationVariant.LUMO_SUCCESS);
                name.clear();
                description.clear();
                refresh();
            } catch (InvalidInputException ex) {
                name.setErrorMessage(ex.fieldErrors().getOrDefault("name", ex.getMessage()));
                name.setInvalid(true);
            }
        });
        create.setId("image-create");
        HorizontalLayout form = new HorizontalLayout(name, description, create);
        form.setAlignItems(FlexComponent.Alignment.BASELINE);
        return form;
    }

    private Component uploadForm() {
        Select<ImageSummary> target = new Select<>();
        target.setLabel("Upload a version of");
        target.setId("upload-image");
        target.setItemLabelGenerator(s -> s.image().name());
        Select<String> format = new Select<>();
        format.setLabel("Format (the file is read as this, never probed)");
        format.setItems("qcow2", "raw", "vmdk", "iso");
        format.setValue("qcow2");
        format.setId("upload-format");
        Select<String> firmware = new Select<>();
        firmware.setLabel("Firmware");
        firmware.setItems("BIOS", "UEFI");
        firmware.setValue("BIOS");
        firmware.setId("upload-firmware");
        IntegerField memory = new IntegerField("Least memory (MB)");
        memory.setValue(512);
        memory.setId("upload-memory");
        Checkbox autoSeal = new Checkbox("Seal through the guest agent and boot-test when validated", true);
        autoSeal.setId("upload-autoseal");
        Runnable remember = () -> choice.set(target.getValue() == null ? null : new UploadChoice(
                target.getValue().image().id(), format.getValue(), firmware.getValue(), memory.getValue(),
                autoSeal.getValue()));
        target.addValueChangeListener(e -> remember.run());
        format.addValueChangeListener(e -> remember.run());
        firmware.addValueChangeListener(e -> remember.run());
        memory.addValueChangeListener(e -> remember.run());
        autoSeal.addValueChangeListener(e -> remember.run());
        this.uploadTarget = target;

        Upload upload = new Upload();
        upload.setId("image-upload");
        upload.setUploadFormat(UploadFormat.RAW);
        upload.setMaxFiles(1);
        upload.setDropAllowed(true);
        upload.setUploadHandler(this::receive);
        upload.addAllFinishedListener(e -> upload.clearFileList());
        progress.setId("image-upload-progress");
        progress.setValue(0);
        progress.setWidth("24rem");
        progressText.setId("image-upload-progress-text");
        uploadError.setId("image-upload-error");
        uploadError.getStyle().set("color", "var(--lumo-error-text-color)");
        HorizontalLayout settings = new HorizontalLayout(target, format, firmware, memory);
        settings.setAlignItems(FlexComponent.Alignment.BASELINE);
        VerticalLayout box = new VerticalLayout(new H3("Upload"), settings, autoSeal, upload, progressText, progress,
                uploadError);
        box.setPadding(false);
        box.setSpacing(false);
        box.setId("upload-form");
        return box;
    }

    private Select<ImageSummary> uploadTarget;

    /**
     * The upload handler: runs on the upload's request thread (not the UI's), streams the raw request body to the
     * host through the service, and reports progress to the page.
     */
    private void receive(UploadEvent event) throws IOException {
        UI ui = event.getUI();
        UploadChoice c = choice.get();
        long size = event.getFileSize() > 0 ? event.getFileSize() : contentLength(event);
        if (c == null) {
            ui.access(() -> showUploadError("Choose the image the upload is a version of first."));
            event.reject("no image chosen");
            return;
        }
        ImageVersion v;
        try {
            v = library.startUpload(c.imageId(), new ImageLibraryService.UploadSpec(c.format(), c.firmware(),
                    c.memoryMb(), size > 0 ? size : null, c.autoSeal()));
        } catch (InvalidInputException e) {
            String message = String.join("; ", e.fieldErrors().values());
            ui.access(() -> showUploadError(message));
            event.reject(message);
            return;
        }
        ui.access(() -> {
            uploadError.setText("");
            progress.setValue(0);
            progressText.setText("uploading " + v.label() + ": 0 of " + mb(size) + " MB");
        });
        long[] lastShown = {0};
        InputStream counted = new FilterInputStream(event.getInputStream()) {
            long seen;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    seen += n;
                    if (seen - lastShown[0] >= Math.max(1 << 20, size / 200) || seen == size) {
                        lastShown[0] = seen;
                        long now = seen;
                        ui.access(() -> {
                            progress.setValue(size > 0 ? Math.min(1.0, (double) now / size) : 0);
                            progressText.setText("uploading " + v.label() + ": " + mb(now) + " of " + mb(size) + " MB");
                        });
                    }
                }
                return n;
            }
        };
        try {
            ImageVersion after = library.receive(v.id(), 0, counted, size > 0 ? size : null);
            if (after.state() == VersionState.UPLOADING && size <= 0) {
                library.completeUpload(v.id());
            }
            ui.access(() -> {
                progress.setValue(1);
                progressText.setText(v.label() + ": " + mb(size) + " MB received, validating");
                refresh();
            });
        } catch (BrokerException e) {
            ui.access(() -> {
                showUploadError(e.getMessage());
                refresh();
            });
            event.reject(e.getMessage());
        }
    }

    private static long contentLength(UploadEvent event) {
        try {
            return Long.parseLong(event.getRequest().getHeader("Content-Length"));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private void showUploadError(String message) {
        uploadError.setText(message);
        Notification n = Notification.show(message, 8000, Notification.Position.MIDDLE);
        n.addThemeVariants(NotificationVariant.LUMO_ERROR);
    }

    // ------------------------------------------------------------------ the list

    @Override
    protected void onAttach(AttachEvent event) {
        UI ui = event.getUI();
        ui.setPollInterval(700);
        poll = ui.addPollListener(e -> refresh());
    }

    @Override
    protected void onDetach(DetachEvent event) {
        if (poll != null) {
            poll.remove();
        }
    }

    private void refresh() {
        List<ImageSummary> all = library.images();
        if (uploadTarget != null) {
            String selected = uploadTarget.getValue() == null ? null : uploadTarget.getValue().image().id();
            List<ImageSummary> library = all.stream().filter(s -> s.image().kind() == Image.Kind.LIBRARY).toList();
            String names = library.stream().map(s -> s.image().id()).collect(Collectors.joining(","));
            if (!names.equals(uploadTarget.getElement().getProperty("data-names", ""))) {
                uploadTarget.setItems(library);
                uploadTarget.getElement().setProperty("data-names", names);
                library.stream().filter(s -> s.image().id().equals(selected)).findFirst()
                        .or(() -> library.stream().findFirst()).ifPresent(uploadTarget::setValue);
            }
        }
        String signature = all.stream().map(s -> s.image().id() + s.versions().stream().map(v -> v.id() + v.state()
                + v.guestAgent() + v.machine() + v.receivedBytes()).collect(Collectors.joining()) + s.poolsByVersion())
                .collect(Collectors.joining("|"));
        if (signature.equals(shown)) {
            return;
        }
        shown = signature;
        images.removeAll();
        for (ImageSummary s : all) {
            images.add(card(s, all));
        }
    }

    private Component card(ImageSummary s, List<ImageSummary> all) {
        Image image = s.image();
        Div card = new Div();
        card.addClassName("image-card");
        card.getElement().setAttribute("data-image", image.name());
        card.getStyle().set("border", "1px solid var(--lumo-contrast-20pct)").set("border-radius", "var(--lumo-border-radius-l)")
                .set("padding", "var(--lumo-space-m)");
        H3 title = new H3(image.name() + (image.kind() == Image.Kind.BUILTIN ? " (built into Atrium)" : ""));
        card.add(title);
        if (image.description() != null) {
            card.add(new Paragraph(image.description()));
        }
        if (s.versions().isEmpty()) {
            card.add(new Span("No versions yet: upload one, or install one from an uploaded ISO."));
        }
        for (ImageVersion v : s.versions()) {
            card.add(row(v, s.poolsByVersion().getOrDefault(v.id(), List.of())));
        }
        if (image.kind() == Image.Kind.LIBRARY) {
            card.add(installForm(image, all));
        }
        return card;
    }

    private Component row(ImageVersion v, List<String> pools) {
        HorizontalLayout row = new HorizontalLayout();
        row.addClassName("version-row");
        row.getElement().setAttribute("data-version", v.id());
        row.getElement().setAttribute("data-number", Integer.toString(v.number()));
        row.getElement().setAttribute("data-state", v.state().name());
        row.setAlignItems(FlexComponent.Alignment.CENTER);
        Span label = new Span("v" + v.number());
        label.getStyle().set("font-weight", "bold").set("min-width", "3rem");
        Span state = new Span(v.state().name().toLowerCase(Locale.ROOT));
        state.addClassName("version-state");
        state.getElement().getThemeList().add("badge" + switch (v.state()) {
            case READY, PUBLISHED -> " success";
            case FAILED, RETIRED -> " error";
            default -> "";
        });
        StringBuilder about = new StringBuilder(v.source().name().toLowerCase(Locale.ROOT));
        if (v.kind() == ImageVersion.Kind.MEDIUM) {
            about.append(" · install medium (ISO)");
        } else {
            about.append(" · ").append(v.firmware()).append(" · ").append(v.memoryMb()).append(" MB");
        }
        v.format().ifPresent(f -> about.append(" · uploaded as ").append(f.id()));
        if (v.state() == VersionState.UPLOADING) {
            about.append(" · ").append(mb(v.receivedBytes())).append(" MB received");
        }
        if (!pools.isEmpty()) {
            about.append(" · used by ").append(pools.size()).append(" pool(s)");
        }
        Span details = new Span(about.toString());
        details.getStyle().set("color", "var(--lumo-secondary-text-color)");
        row.add(label, state, details);
        if (v.coldBootOnly()) {
            Span cold = new Span("no guest agent: desktops are cold-booted (slower), no instant clones");
            cold.addClassName("version-cold-boot-only");
            cold.getElement().getThemeList().add("badge contrast");
            row.add(cold);
        }
        if (v.stateReason() != null && v.state() == VersionState.FAILED) {
            Span reason = new Span(v.stateReason());
            reason.addClassName("version-reason");
            reason.getStyle().set("color", "var(--lumo-error-text-color)");
            row.add(reason);
        }
        row.add(actions(v));
        return row;
    }

    private Component actions(ImageVersion v) {
        HorizontalLayout actions = new HorizontalLayout();
        if (v.state() == VersionState.DRAFT || v.state() == VersionState.BUILDING) {
            actions.add(action("Seal", "version-seal", () -> library.seal(v.id(), true)));
            actions.add(action("Mark sealed (as is)", "version-mark-sealed", () -> library.seal(v.id(), false)));
        }
        if (v.state() == VersionState.BUILDING) {
            RouterLink console = new RouterLink("Open console", DraftConsoleView.class,
                    new RouteParameters("version", v.id()));
            console.addClassName("version-console");
            actions.add(console);
            actions.add(action("Start draft machine", "version-start-draft", () -> library.startDraft(v.id())));
        }
        if (v.kind() == ImageVersion.Kind.DISK && VersionState.PUBLISHABLE.contains(v.state())
                && v.source() != ImageVersion.Source.BUILTIN) {
            actions.add(action("Edit as a draft", "version-edit", () -> library.editDraft(v.id())));
        }
        if ((v.state() == VersionState.READY || v.state() == VersionState.FAILED) && v.kind() == ImageVersion.Kind.DISK
                && v.source() != ImageVersion.Source.BUILTIN) {
            actions.add(action("Boot test", "version-test", () -> library.retest(v.id())));
        }
        if (v.source() != ImageVersion.Source.BUILTIN && VersionState.predecessorsOf(VersionState.RETIRED)
                .contains(v.state())) {
            actions.add(action("Retire", "version-retire", () -> library.retire(v.id())));
        }
        Button log = new Button("Log", e -> showLog(v));
        log.addClassName("version-log");
        log.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
        actions.add(log);
        return actions;
    }

    private Button action(String text, String className, Runnable call) {
        Button b = new Button(text, e -> {
            try {
                call.run();
                refresh();
            } catch (BrokerException ex) {
                PoolEditor.error(ex.getMessage());
            }
        });
        b.addClassName(className);
        b.addThemeVariants(ButtonVariant.LUMO_SMALL);
        return b;
    }

    private void showLog(ImageVersion v) {
        Dialog d = new Dialog();
        d.setHeaderTitle("Log of " + v.label());
        d.setId("version-log-dialog");
        String text = library.log(v.id()).stream().map(e -> e.at() + " " + e.level() + " " + e.message())
                .collect(Collectors.joining("\n"));
        Pre pre = new Pre(text.isEmpty() ? "(empty)" : text);
        pre.setId("version-log-text");
        pre.getStyle().set("white-space", "pre-wrap").set("max-height", "60vh").set("overflow", "auto");
        d.add(pre);
        Button close = new Button("Close", e -> d.close());
        d.getFooter().add(close);
        d.setWidth("60rem");
        d.open();
    }

    private Component installForm(Image image, List<ImageSummary> all) {
        List<ImageVersion> media = all.stream().flatMap(s -> s.versions().stream())
                .filter(v -> v.kind() == ImageVersion.Kind.MEDIUM && v.state() == VersionState.READY).toList();
        if (media.isEmpty()) {
            return new Span();
        }
        Select<ImageVersion> medium = new Select<>();
        medium.setLabel("Install from ISO");
        medium.setItems(media);
        medium.setItemLabelGenerator(ImageVersion::label);
        medium.setValue(media.getFirst());
        medium.addClassName("install-medium");
        IntegerField disk = new IntegerField("Disk (GiB)");
        disk.setValue(16);
        disk.addClassName("install-disk");
        Select<String> firmware = new Select<>();
        firmware.setLabel("Firmware");
        firmware.setItems("BIOS", "UEFI");
        firmware.setValue("UEFI");
        Button install = new Button("Install", e -> {
            try {
                library.installDraft(image.id(), new ImageLibraryService.InstallSpec(medium.getValue().id(),
                        disk.getValue(), firmware.getValue(), 1024));
                refresh();
            } catch (BrokerException ex) {
                PoolEditor.error(ex.getMessage());
            }
        });
        install.addClassName("install-start");
        HorizontalLayout form = new HorizontalLayout(medium, disk, firmware, install);
        form.setAlignItems(FlexComponent.Alignment.BASELINE);
        return form;
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
