package io.atrium.web.ui.admin;

import com.vaadin.flow.component.HasValidation;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.combobox.ComboBox;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.formlayout.FormLayout;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.component.textfield.TextField;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.broker.transfer.TransferPolicyService;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Create or edit a pool. The service validates; each bad field shows its message ({@link InvalidInputException}).
 * The GPU profile is set through {@link GpuService#setPoolProfile} after the pool is saved.
 */
class PoolEditor extends Dialog {
    private static final String NO_GPU = "none";

    private final PoolAdminService pools;
    private final GpuService gpus;
    private final Pool existing;
    private final Consumer<Pool> onSaved;

    private final TextField name = new TextField("Name");
    private final Select<PoolKind> kind = new Select<>();
    private final Select<String> image = new Select<>();
    private final IntegerField vcpus = new IntegerField("vCPUs");
    private final IntegerField memoryMb = new IntegerField("Memory (MB)");
    private final IntegerField minSize = new IntegerField("Minimum size");
    private final IntegerField maxSize = new IntegerField("Maximum size");
    private final IntegerField spares = new IntegerField("Warm spares");
    private final TextField entitled = new TextField("Entitled (user:NAME, group:NAME; comma-separated)");
    private final IntegerField idleTimeout = new IntegerField("Idle timeout (minutes)");
    private final IntegerField disconnectGrace = new IntegerField("Disconnect grace (minutes)");
    private final IntegerField maxSessionLength = new IntegerField("Maximum session (minutes)");
    private final ComboBox<String> gpu = new ComboBox<>("GPU profile");
    private final Map<String, HasValidation> fields = new LinkedHashMap<>();
    /** Settings of other features kept in their own tables, saved after the pool (see {@link PoolEditorSection}). */
    private final List<PoolEditorSection> sections = new ArrayList<>();

    PoolEditor(PoolAdminService pools, GpuService gpus, TransferPolicyService transfers, Pool existing,
               Consumer<Pool> onSaved) {
        sections.add(new TransferPolicySection(transfers, existing));
        this.pools = pools;
        this.gpus = gpus;
        this.existing = existing;
        this.onSaved = onSaved;
        setHeaderTitle(existing == null ? "New pool" : "Edit pool " + existing.name());
        setId("pool-editor");
        kind.setLabel("Kind");
        kind.setItems(PoolKind.values());
        kind.setItemLabelGenerator(k -> k == PoolKind.POOLED ? "pooled (clean at log off)" : "personal (keeps its disk)");
        image.setLabel("Golden image");
        image.setItems(PoolAdminService.IMAGES);
        List<String> profiles = new ArrayList<>();
        profiles.add(NO_GPU);
        try {
            profiles.addAll(gpus.overview().profiles());
        } catch (BrokerException ignored) {
            // no GPU information: only "none"
        }
        gpu.setItems(profiles);

        fields.put("name", name);
        fields.put("kind", kind);
        fields.put("image", image);
        fields.put("vcpus", vcpus);
        fields.put("memoryMb", memoryMb);
        fields.put("minSize", minSize);
        fields.put("maxSize", maxSize);
        fields.put("spares", spares);
        fields.put("entitled", entitled);
        fields.put("idleTimeout", idleTimeout);
        fields.put("disconnectGrace", disconnectGrace);
        fields.put("maxSessionLength", maxSessionLength);
        fields.put("gpu", gpu);
        fields.forEach((key, field) -> ((com.vaadin.flow.component.Component) field).setId("pool-" + key));

        PoolSpec s = existing == null ? PoolSpec.defaults() : PoolSpec.of(existing);
        name.setValue(s.name());
        kind.setValue(s.kind());
        image.setValue(s.image());
        vcpus.setValue(s.vcpus());
        memoryMb.setValue(s.memoryMb());
        minSize.setValue(s.minSize());
        maxSize.setValue(s.maxSize());
        spares.setValue(s.spares());
        entitled.setValue(String.join(", ", s.entitled()));
        idleTimeout.setValue((int) s.idleTimeout().toMinutes());
        disconnectGrace.setValue((int) s.disconnectGrace().toMinutes());
        maxSessionLength.setValue((int) s.maxSessionLength().toMinutes());
        String profile = null;
        if (existing != null) {
            try {
                profile = gpus.poolGpu(existing.id()).profile();
            } catch (BrokerException ignored) {
                // shown as none
            }
        }
        gpu.setValue(profile == null ? NO_GPU : profile);

        FormLayout form = new FormLayout(name, kind, image, vcpus, memoryMb, minSize, maxSize, spares, entitled,
                idleTimeout, disconnectGrace, maxSessionLength, gpu);
        form.setColspan(entitled, 2);
        add(form);
        sections.forEach(section -> add(section.component()));
        Button save = new Button(existing == null ? "Create" : "Save", e -> save());
        save.setId("pool-save");
        save.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        Button cancel = new Button("Cancel", e -> close());
        cancel.setId("pool-cancel");
        getFooter().add(cancel, save);
        setWidth("48rem");
    }

    private void save() {
        fields.values().forEach(f -> {
            f.setInvalid(false);
            f.setErrorMessage(null);
        });
        List<String> principals = Arrays.stream(entitled.getValue().split(",")).map(String::strip)
                .filter(p -> !p.isEmpty()).toList();
        PoolSpec spec = new PoolSpec(name.getValue().strip(), kind.getValue(), image.getValue(), vcpus.getValue(),
                memoryMb.getValue(), minSize.getValue(), maxSize.getValue(), spares.getValue(), principals,
                minutes(idleTimeout), minutes(disconnectGrace), minutes(maxSessionLength));
        if (!sections.stream().map(PoolEditorSection::validate).toList().stream().allMatch(ok -> ok)) {
            return;
        }
        Pool saved;
        try {
            saved = existing == null ? pools.create(spec) : pools.update(existing.id(), spec);
        } catch (InvalidInputException e) {
            e.fieldErrors().forEach((field, message) -> {
                HasValidation f = fields.get(field);
                if (f != null) {
                    f.setErrorMessage(message);
                    f.setInvalid(true);
                }
            });
            return;
        } catch (BrokerException e) {
            error(e.getMessage());
            return;
        }
        String wanted = gpu.getValue() == null || NO_GPU.equals(gpu.getValue()) ? null : gpu.getValue();
        try {
            String current = gpus.poolGpu(saved.id()).profile();
            if (!java.util.Objects.equals(current, wanted)) {
                gpus.setPoolProfile(saved.id(), wanted);
            }
        } catch (BrokerException e) {
            gpu.setErrorMessage(e.getMessage());
            gpu.setInvalid(true);
            close();
            onSaved.accept(saved);
            error("Pool " + saved.name() + " was saved, but its GPU profile was not: " + e.getMessage());
            return;
        }
        for (PoolEditorSection section : sections) {
            String failure = section.save(saved);
            if (failure != null) {
                close();
                onSaved.accept(saved);
                error(failure);
                return;
            }
        }
        Notification.show("Pool " + saved.name() + " saved").addThemeVariants(NotificationVariant.LUMO_SUCCESS);
        close();
        onSaved.accept(saved);
    }

    private static Duration minutes(IntegerField f) {
        return f.getValue() == null ? null : Duration.ofMinutes(f.getValue());
    }

    static void error(String message) {
        Notification n = Notification.show(message, 8000, Notification.Position.MIDDLE);
        n.addThemeVariants(NotificationVariant.LUMO_ERROR);
    }
}
