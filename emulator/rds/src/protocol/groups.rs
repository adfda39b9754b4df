//! The Query actions of DB subnet groups, DB parameter groups, DB cluster
//! parameter groups and option groups: request decoding and the XML shapes
//! of the botocore model, over [`crate::groups::Store`].

use super::{Params, Xml, check_filters, filter_values, page};
use crate::engine::Engine;
use crate::errors::RdsError;
use crate::groups::{OptionGroup, Parameter, ParameterGroup, ParameterKind, SubnetGroup};

/// The actions this module serves.
pub const ACTIONS: &[&str] = &[
    "CreateDBSubnetGroup",
    "DescribeDBSubnetGroups",
    "ModifyDBSubnetGroup",
    "DeleteDBSubnetGroup",
    "CreateDBParameterGroup",
    "DescribeDBParameterGroups",
    "ModifyDBParameterGroup",
    "ResetDBParameterGroup",
    "DeleteDBParameterGroup",
    "DescribeDBParameters",
    "DescribeEngineDefaultParameters",
    "CreateDBClusterParameterGroup",
    "DescribeDBClusterParameterGroups",
    "ModifyDBClusterParameterGroup",
    "ResetDBClusterParameterGroup",
    "DeleteDBClusterParameterGroup",
    "DescribeDBClusterParameters",
    "CreateOptionGroup",
    "DescribeOptionGroups",
    "DeleteOptionGroup",
];

fn subnet_group(x: &mut Xml, g: &SubnetGroup) {
    x.open("DBSubnetGroup");
    x.text("DBSubnetGroupName", &g.name);
    x.text("DBSubnetGroupDescription", &g.description);
    x.text("VpcId", &g.vpc_id);
    x.text("SubnetGroupStatus", "Complete");
    x.open("Subnets");
    for s in &g.subnets {
        x.open("Subnet");
        x.text("SubnetIdentifier", &s.id);
        x.open("SubnetAvailabilityZone");
        x.text("Name", &s.availability_zone);
        x.close("SubnetAvailabilityZone");
        x.open("SubnetOutpost");
        x.close("SubnetOutpost");
        x.text("SubnetStatus", "Active");
        x.close("Subnet");
    }
    x.close("Subnets");
    x.text("DBSubnetGroupArn", &g.arn);
    x.open("SupportedNetworkTypes");
    x.text("member", "IPV4");
    x.close("SupportedNetworkTypes");
    x.close("DBSubnetGroup");
}

fn parameter_group(x: &mut Xml, g: &ParameterGroup) {
    let (tag, name, arn) = match g.kind {
        ParameterKind::Instance => ("DBParameterGroup", "DBParameterGroupName", "DBParameterGroupArn"),
        ParameterKind::Cluster => (
            "DBClusterParameterGroup",
            "DBClusterParameterGroupName",
            "DBClusterParameterGroupArn",
        ),
    };
    x.open(tag);
    x.text(name, &g.name);
    x.text("DBParameterGroupFamily", &g.family);
    x.text("Description", &g.description);
    x.text(arn, &g.arn);
    x.close(tag);
}

fn parameters(x: &mut Xml, list: &[Parameter]) {
    x.open("Parameters");
    for p in list {
        x.open("Parameter");
        x.text("ParameterName", p.name);
        x.opt("ParameterValue", p.value.as_deref());
        x.text("Description", p.description);
        x.text("Source", p.source);
        x.text("ApplyType", p.apply_type);
        x.text("DataType", p.data_type);
        if !p.allowed.is_empty() {
            x.text("AllowedValues", p.allowed);
        }
        x.bool("IsModifiable", p.modifiable);
        x.text("ApplyMethod", &p.apply_method);
        x.close("Parameter");
    }
    x.close("Parameters");
}

fn option_group(x: &mut Xml, g: &OptionGroup) {
    x.open("OptionGroup");
    x.text("OptionGroupName", &g.name);
    x.text("OptionGroupDescription", &g.description);
    x.text("EngineName", &g.engine);
    x.text("MajorEngineVersion", &g.major);
    x.open("Options");
    x.close("Options");
    x.bool("AllowsVpcAndNonVpcInstanceMemberships", true);
    x.text("OptionGroupArn", &g.arn);
    x.close("OptionGroup");
}

/// `Parameters.Parameter.N.{ParameterName,ParameterValue,ApplyMethod}`.
fn parameter_changes(p: &Params) -> Vec<(String, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    for n in 1..=100 {
        let prefix = [
            format!("Parameters.Parameter.{n}"),
            format!("Parameters.member.{n}"),
        ]
        .into_iter()
        .find(|pre| p.str(&format!("{pre}.ParameterName")).is_some());
        let Some(prefix) = prefix else { break };
        out.push((
            p.string(&format!("{prefix}.ParameterName")).unwrap_or_default(),
            p.string(&format!("{prefix}.ParameterValue")),
            p.string(&format!("{prefix}.ApplyMethod")),
        ));
    }
    out
}

fn kind_of(action: &str) -> ParameterKind {
    if action.contains("DBCluster") {
        ParameterKind::Cluster
    } else {
        ParameterKind::Instance
    }
}

fn group_param(kind: ParameterKind) -> &'static str {
    match kind {
        ParameterKind::Instance => "DBParameterGroupName",
        ParameterKind::Cluster => "DBClusterParameterGroupName",
    }
}

/// Runs `action` when it is one of this module's, else `None`.
pub fn dispatch(
    engine: &Engine,
    region: &str,
    action: &str,
    p: &Params,
) -> Option<Result<Option<String>, RdsError>> {
    ACTIONS.contains(&action).then(|| run(engine, region, action, p))
}

fn run(engine: &Engine, region: &str, action: &str, p: &Params) -> Result<Option<String>, RdsError> {
    let store = engine.groups();
    let mut x = Xml::default();
    match action {
        "CreateDBSubnetGroup" => {
            let ids = p.list("SubnetIds", "SubnetIdentifier");
            let g = store.create_subnet_group(
                region,
                &p.required("DBSubnetGroupName")?,
                &p.required("DBSubnetGroupDescription")?,
                &ids,
                p.tags("Tags")?,
            )?;
            subnet_group(&mut x, &g);
        }
        "ModifyDBSubnetGroup" => {
            let ids = p.list("SubnetIds", "SubnetIdentifier");
            let g = store.modify_subnet_group(
                region,
                &p.required("DBSubnetGroupName")?,
                p.str("DBSubnetGroupDescription"),
                &ids,
            )?;
            subnet_group(&mut x, &g);
        }
        "DescribeDBSubnetGroups" => {
            check_filters(&p.filters(), &[])?;
            let list = match p.str("DBSubnetGroupName") {
                Some(name) => vec![store.subnet_group(region, name)?],
                None => store.subnet_groups(region),
            };
            let (items, marker) = page(p, list)?;
            x.open("DBSubnetGroups");
            for g in &items {
                subnet_group(&mut x, g);
            }
            x.close("DBSubnetGroups");
            x.opt("Marker", marker.as_deref());
        }
        "DeleteDBSubnetGroup" => {
            let name = p.required("DBSubnetGroupName")?;
            let in_use = engine.group_in_use(region, "subgrp", &name);
            store.delete_subnet_group(region, &name, in_use)?;
            return Ok(None);
        }
        "CreateDBParameterGroup" | "CreateDBClusterParameterGroup" => {
            let kind = kind_of(action);
            let g = store.create_parameter_group(
                region,
                kind,
                &p.required(group_param(kind))?,
                &p.required("DBParameterGroupFamily")?,
                &p.required("Description")?,
                p.tags("Tags")?,
            )?;
            parameter_group(&mut x, &g);
        }
        "DescribeDBParameterGroups" | "DescribeDBClusterParameterGroups" => {
            let kind = kind_of(action);
            check_filters(&p.filters(), &[])?;
            let list = match p.str(group_param(kind)) {
                Some(name) => vec![store.parameter_group(region, name, kind)?],
                None => store.parameter_groups(region, kind),
            };
            let (items, marker) = page(p, list)?;
            let tag = match kind {
                ParameterKind::Instance => "DBParameterGroups",
                ParameterKind::Cluster => "DBClusterParameterGroups",
            };
            x.open(tag);
            for g in &items {
                parameter_group(&mut x, g);
            }
            x.close(tag);
            x.opt("Marker", marker.as_deref());
        }
        "ModifyDBParameterGroup"
        | "ModifyDBClusterParameterGroup"
        | "ResetDBParameterGroup"
        | "ResetDBClusterParameterGroup" => {
            let kind = kind_of(action);
            let reset = action.starts_with("Reset");
            let reset_all = reset && p.bool("ResetAllParameters")?.unwrap_or(false);
            let name = store.modify_parameter_group(
                region,
                kind,
                &p.required(group_param(kind))?,
                &parameter_changes(p),
                reset,
                reset_all,
            )?;
            x.text(group_param(kind), &name);
        }
        "DeleteDBParameterGroup" | "DeleteDBClusterParameterGroup" => {
            let kind = kind_of(action);
            let name = p.required(group_param(kind))?;
            let arn_kind = match kind {
                ParameterKind::Instance => "pg",
                ParameterKind::Cluster => "cluster-pg",
            };
            let in_use = engine.group_in_use(region, arn_kind, &name);
            store.delete_parameter_group(region, kind, &name, in_use)?;
            return Ok(None);
        }
        "DescribeDBParameters" | "DescribeDBClusterParameters" => {
            let kind = kind_of(action);
            let filters = p.filters();
            check_filters(
                &filters,
                &["parameter-name", "apply-type", "source", "is-modifiable"],
            )?;
            let list: Vec<Parameter> = store
                .parameters(region, kind, &p.required(group_param(kind))?, p.str("Source"))?
                .into_iter()
                .filter(|q| {
                    filter_values(&filters, "parameter-name").is_none_or(|v| v.iter().any(|n| n == q.name))
                })
                .filter(|q| {
                    filter_values(&filters, "apply-type").is_none_or(|v| v.iter().any(|n| n == q.apply_type))
                })
                .filter(|q| filter_values(&filters, "source").is_none_or(|v| v.iter().any(|n| n == q.source)))
                .filter(|q| {
                    filter_values(&filters, "is-modifiable").is_none_or(|v| {
                        v.iter()
                            .any(|n| n.eq_ignore_ascii_case(&q.modifiable.to_string()))
                    })
                })
                .collect();
            let (items, marker) = page(p, list)?;
            parameters(&mut x, &items);
            x.opt("Marker", marker.as_deref());
        }
        "DescribeEngineDefaultParameters" => {
            let family = p.required("DBParameterGroupFamily")?;
            let list = store.parameters(
                region,
                ParameterKind::Instance,
                &format!("default.{family}"),
                None,
            )?;
            let (items, marker) = page(p, list)?;
            x.open("EngineDefaults");
            x.text("DBParameterGroupFamily", &family);
            x.opt("Marker", marker.as_deref());
            parameters(&mut x, &items);
            x.close("EngineDefaults");
        }
        "CreateOptionGroup" => {
            let g = store.create_option_group(
                region,
                &p.required("OptionGroupName")?,
                &p.required("EngineName")?,
                &p.required("MajorEngineVersion")?,
                &p.required("OptionGroupDescription")?,
                p.tags("Tags")?,
            )?;
            option_group(&mut x, &g);
        }
        "DescribeOptionGroups" => {
            check_filters(&p.filters(), &[])?;
            let engine_name = p.str("EngineName");
            let major = p.str("MajorEngineVersion");
            let list: Vec<OptionGroup> = match p.str("OptionGroupName") {
                Some(name) => vec![store.option_group(region, name)?],
                None => store.option_groups(region),
            }
            .into_iter()
            .filter(|g| engine_name.is_none_or(|e| g.engine == e))
            .filter(|g| major.is_none_or(|m| g.major == m))
            .collect();
            let (items, marker) = page(p, list)?;
            x.open("OptionGroupsList");
            for g in &items {
                option_group(&mut x, g);
            }
            x.close("OptionGroupsList");
            x.opt("Marker", marker.as_deref());
        }
        "DeleteOptionGroup" => {
            let name = p.required("OptionGroupName")?;
            let in_use = engine.group_in_use(region, "og", &name);
            store.delete_option_group(region, &name, in_use)?;
            return Ok(None);
        }
        other => {
            return Err(RdsError::InternalFailure(format!(
                "{other} is not a group action"
            )));
        }
    }
    Ok(Some(x.into_string()))
}
