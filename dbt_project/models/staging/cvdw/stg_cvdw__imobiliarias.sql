{%- set src = source('cvdw', 'imobiliarias') -%}
{%- set cols = cvdw_columns('cvdw', 'imobiliarias') -%}

with

renamed as (

    select
        {{ cvdw_column(cols, 'idimobiliaria', 'bigint') }} as idimobiliaria,
        {{ cvdw_text(cvdw_column(cols, 'nome')) }} as imobiliaria,
        {{ cvdw_text(cvdw_column(cols, 'razao_social')) }} as razao_social,
        {{ cvdw_text(cvdw_column(cols, 'cidade')) }} as cidade,
        {{ cvdw_text(cvdw_column(cols, 'estado')) }} as estado,
        {{ cvdw_timestamp(cvdw_column(cols, 'data_cad')) }} as data_cad,
        coalesce({{ cvdw_bool(cvdw_column(cols, 'ativo')) }}, true) as is_ativo,
        {{ cvdw_timestamp(cvdw_column(cols, 'referencia_data')) }} as atualizado_em,
        {{ cvdw_column(cols, '_dlt_load_id') }} as _dlt_load_id
    from {{ cvdw_from(src, cols) }}

),

final as (

    select distinct on (idimobiliaria) *
    from renamed
    where idimobiliaria is not null
    order by idimobiliaria, {{ cvdw_newest_first() }}

)

select * from final
