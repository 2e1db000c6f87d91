package io.atrium.web.ui.admin;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasValidation;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.formlayout.FormLayout;
import com.vaadin.flow.component.html.H4;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.TextField;
import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.network.PoolNetwork;
import io.atrium.broker.network.PoolNetworkService;
import io.atrium.broker.network.PoolNetworkSettings;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.MachineSpec.NetworkMode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pool editor's network section: the mode (only those the host runs safely, and why others are missing) and, for
 * a lab, its subnet, gateway, DHCP range and NAT. {@link PoolNetworkService} validates and stores it.
 */
class PoolNetworkSection implements PoolEditorSection {
    static final String APPLIES = "A network change applies to new desktops at once: idle desktops are refreshed now, "
            + "desktops in use when their user logs off, personal desktops at their next start.";

    private final PoolNetworkService networks;
    private final Select<NetworkMode> mode = new Select<>();
    private final TextField subnet = new TextField("Lab subnet (CIDR)");
    private final TextField gateway = new TextField("Gateway (default: first address)");
    private final TextField dhcpFirst = new TextField("DHCP from (default: after the gateway)");
    private final TextField dhcpLast = new TextField("DHCP to (default: last address)");
    private final Checkbox nat = new Checkbox("NAT to the outside world (never the host)");
    private final Map<String, HasValidation> fields = new LinkedHashMap<>();
    private final VerticalLayout layout = new VerticalLayout();
    private final FormLayout lab;

    PoolNetworkSection(PoolNetworkService networks, Pool existing) {
        this.networks = networks;
        HostNetworking host = networks.hostNetworking();
        PoolNetwork current = existing == null ? null : networks.get(existing.id());
        List<NetworkMode> offered = new ArrayList<>();
        for (NetworkMode m : NetworkMode.values()) {
            if (host.supports(m) || (current != null && current.mode() == m)) {
                offered.add(m);
            }
        }
        mode.setLabel("Mode");
        mode.setWidth("28em");
        mode.setItems(offered);
        mode.setItemLabelGenerator(m -> switch (m) {
            case ISOLATED -> "isolated (no network)";
            case NAT -> "NAT (internet and intranet, never the host)";
            case LAB -> "lab network (a private switch for this pool)";
        });
        mode.setId("pool-network-mode");
        subnet.setId("pool-network-subnet");
        subnet.setPlaceholder("10.77.0.0/24");
        gateway.setId("pool-network-gateway");
        dhcpFirst.setId("pool-network-dhcpFirst");
        dhcpLast.setId("pool-network-dhcpLast");
        nat.setId("pool-network-nat");
        nat.setEnabled(host.supports(NetworkMode.NAT));
        fields.put("mode", mode);
        fields.put("subnet", subnet);
        fields.put("gateway", gateway);
        fields.put("dhcpFirst", dhcpFirst);
        fields.put("dhcpLast", dhcpLast);

        lab = new FormLayout(subnet, gateway, dhcpFirst, dhcpLast, nat);
        lab.setId("pool-network-lab");
        H4 title = new H4("Network");
        layout.setPadding(false);
        layout.setSpacing(false);
        layout.add(title, mode, lab);
        if (!host.limitation().isEmpty()) {
            Paragraph limitation = new Paragraph("This host offers only some networks: " + host.limitation());
            limitation.setId("pool-network-limitation");
            limitation.getStyle().set("color", "var(--lumo-warning-text-color, #8a6d00)");
            layout.add(limitation);
        }
        Paragraph applies = new Paragraph(APPLIES);
        applies.setId("pool-network-applies");
        applies.getStyle().set("font-size", "var(--lumo-font-size-s)");
        layout.add(applies);

        PoolNetworkSettings s = current == null ? PoolNetworkSettings.isolated() : PoolNetworkSettings.of(current);
        mode.setValue(NetworkMode.valueOf(s.mode()));
        subnet.setValue(s.subnet() == null ? "" : s.subnet());
        gateway.setValue(s.gateway() == null ? "" : s.gateway());
        dhcpFirst.setValue(s.dhcpFirst() == null ? "" : s.dhcpFirst());
        dhcpLast.setValue(s.dhcpLast() == null ? "" : s.dhcpLast());
        nat.setValue(Boolean.TRUE.equals(s.nat()));
        lab.setVisible(mode.getValue() == NetworkMode.LAB);
        mode.addValueChangeListener(e -> lab.setVisible(e.getValue() == NetworkMode.LAB));
    }

    @Override
    public Component component() {
        return layout;
    }

    @Override
    public void clearErrors() {
        fields.values().forEach(f -> {
            f.setInvalid(false);
            f.setErrorMessage(null);
        });
    }

    @Override
    public boolean validate(Pool existing, PoolSpec pool) {
        int maxSize = pool.maxSize() == null ? 0 : Math.max(0, pool.maxSize());
        try {
            networks.validate(existing == null ? null : existing.id(), settings(), maxSize);
            return true;
        } catch (InvalidInputException e) {
            showErrors(e);
            return false;
        }
    }

    @Override
    public void save(String poolId) {
        networks.set(poolId, settings());
    }

    @Override
    public boolean showErrors(InvalidInputException e) {
        boolean mine = false;
        for (Map.Entry<String, String> error : e.fieldErrors().entrySet()) {
            HasValidation f = fields.get(error.getKey());
            if (f == null && error.getKey().equals("nat")) {
                f = subnet; // the checkbox has no error slot: say it at the subnet
            }
            if (f != null) {
                f.setErrorMessage(error.getValue());
                f.setInvalid(true);
                mine = true;
            }
        }
        return mine;
    }

    private PoolNetworkSettings settings() {
        NetworkMode m = mode.getValue();
        if (m != NetworkMode.LAB) {
            return new PoolNetworkSettings(m == null ? null : m.name(), null, null, null, null, false);
        }
        return new PoolNetworkSettings(m.name(), strip(subnet), strip(gateway), strip(dhcpFirst), strip(dhcpLast),
                nat.getValue());
    }

    private static String strip(TextField f) {
        String v = f.getValue() == null ? "" : f.getValue().strip();
        return v.isEmpty() ? null : v;
    }

    /** The section for the editor, or none when the host cannot be asked (the editor still works). */
    static List<PoolEditorSection> of(PoolNetworkService networks, Pool existing) {
        try {
            return List.of(new PoolNetworkSection(networks, existing));
        } catch (BrokerException e) {
            PoolEditor.error("The pool's network cannot be shown: " + e.getMessage());
            return List.of();
        }
    }
}
